"""Login request and response."""

from pydantic import BaseModel, Field


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
    roles: list[str]


class LoginResponse(BaseModel):
    """A bearer token and who it is for."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic
