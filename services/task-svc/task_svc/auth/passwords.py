"""Password hashing (bcrypt), the password policy, and a dummy check that hides unknown usernames."""

import bcrypt

from duban_shared.errors import AppError

ROUNDS = 10
MIN_LENGTH = 10
MAX_BYTES = 72  # bcrypt reads no further; a longer password is refused, never silently cut
UNUSABLE = "!"  # an account that waits for activation: no password matches it
# Checked for unknown users and unusable accounts, so every failed login costs one bcrypt round.
_DUMMY = bcrypt.hashpw(b"duban-dummy-password", bcrypt.gensalt(ROUNDS)).decode()


def password_problem(password: str, *, username: str = "", minimum: int = MIN_LENGTH) -> str | None:
    """Why the password is not acceptable (Chinese, for the user), or None."""
    if len(password) < minimum:
        return f"密码至少 {minimum} 个字符"
    if len(password.encode()) > MAX_BYTES:
        return f"密码不能超过 {MAX_BYTES} 字节（约 24 个汉字或 72 个英文字符）"
    if username and username.lower() in password.lower():
        return "密码不能包含用户名"
    kinds = sum([any(c.isalpha() for c in password), any(c.isdigit() for c in password),
                 any(not c.isalnum() for c in password)])
    if kinds < 2:
        return "密码需包含字母、数字、符号中的至少两类"
    return None


def check_policy(password: str, *, username: str = "") -> None:
    """422 unless the password meets the policy."""
    problem = password_problem(password, username=username)
    if problem:
        raise AppError(422, "weak_password", problem)


def hash_password(password: str) -> str:
    """A bcrypt hash of the password (at most 72 bytes; longer ones raise ValueError)."""
    data = password.encode()
    if len(data) > MAX_BYTES:
        raise ValueError(f"password longer than {MAX_BYTES} bytes")
    return bcrypt.hashpw(data, bcrypt.gensalt(ROUNDS)).decode()


def verify_password(password: str, hashed: str | None) -> bool:
    """True when the password matches; unusable or missing hashes cost a dummy check and fail."""
    data = password.encode()
    usable = bool(hashed) and hashed != UNUSABLE and len(data) <= MAX_BYTES
    try:
        ok = bcrypt.checkpw(data[:MAX_BYTES], (hashed if usable else _DUMMY).encode())  # type: ignore[union-attr]
    except ValueError:
        return False
    return ok and usable
