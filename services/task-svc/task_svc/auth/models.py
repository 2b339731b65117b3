"""Activation codes, refresh tokens and failed-login counters (times are epoch seconds: portable, no zones)."""

from __future__ import annotations

from sqlmodel import Field

from task_svc.base import TaskSvcModel


class ActivationCode(TaskSvcModel, table=True):
    """A one-time code an administrator hands to a person to set their first (or a reset) password."""

    __tablename__ = "activation_codes"
    code_hash: str = Field(primary_key=True, max_length=64)  # sha256 of the code; the code itself is never stored
    username: str = Field(max_length=64, index=True)
    expires_at: float
    used_at: float | None = None
    created_by: str = Field(max_length=64)


class RefreshToken(TaskSvcModel, table=True):
    """A refresh token (stored hashed); good while the account's token version is unchanged."""

    __tablename__ = "refresh_tokens"
    token_hash: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=64, index=True)
    token_version: int
    expires_at: float
    revoked: bool = False


class LoginFailure(TaskSvcModel, table=True):
    """Failed logins of one account (`acct:<name>`) or one client address (`addr:<ip>`), shared by replicas."""

    __tablename__ = "login_failures"
    key: str = Field(primary_key=True, max_length=120)
    failures: int = 0
    window_start: float = 0
    locked_until: float = 0
    strikes: int = 0
