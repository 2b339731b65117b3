"""Login, token and account requests and responses."""

from pydantic import BaseModel, Field

USERNAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


class LoginRequest(BaseModel):
    """Credentials."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class UserPublic(BaseModel):
    """The logged-in user as clients see it."""

    username: str
    unit_id: str | None
    unit_kind: str | None
    unit_name: str | None = None
    display_name: str | None = None
    roles: list[str]


class LoginResponse(BaseModel):
    """A short-lived bearer token, a refresh token, and who they are for."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str
    user: UserPublic


class RefreshRequest(BaseModel):
    """A refresh token (spent on use: the response carries a new one)."""

    refresh_token: str = Field(min_length=1, max_length=200)


class AuthConfig(BaseModel):
    """What the login page needs to know."""

    demo: bool
    oidc: bool
    password_min_length: int
    password_max_bytes: int


class PasswordChange(BaseModel):
    """Own password change."""

    old_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class ActivateRequest(BaseModel):
    """Set a password with a one-time activation code."""

    username: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=4, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class InviteRequest(BaseModel):
    """A new person of a unit."""

    username: str = Field(pattern=USERNAME)
    display_name: str = Field(min_length=1, max_length=64)
    unit_id: str = Field(min_length=1, max_length=36)
    roles: list[str] = Field(min_length=1, max_length=4)


class ActivationCodeOut(BaseModel):
    """A one-time activation code to hand to the person (shown once)."""

    username: str
    activation_code: str
    expires_in: int


class AccountState(BaseModel):
    """An account's state after a change."""

    username: str
    active: bool
    roles: list[str]
