"""Password hashing for the embedded identity provider (bcrypt)."""

import bcrypt

ROUNDS = 10


def hash_password(password: str) -> str:
    """A bcrypt hash of the password."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(ROUNDS)).decode()


def verify_password(password: str, hashed: str) -> bool:
    """True when the password matches the hash."""
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False
