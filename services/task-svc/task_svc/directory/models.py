"""Org units and the login accounts attached to them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from duban_shared.events import utcnow
from task_svc.base import TaskSvcModel


class UnitBase(TaskSvcModel):
    """Fields of an org unit."""

    code: str = Field(max_length=64, index=True, unique=True)
    name: str = Field(max_length=128)
    kind: str = Field(max_length=16, index=True)
    parent_id: str | None = Field(default=None, max_length=36, index=True)
    school_type: str | None = Field(default=None, max_length=16, index=True)
    enrolment: int | None = None  # 在校生数, for weighted indicators
    email: str | None = Field(default=None, max_length=254)
    leader_name: str | None = Field(default=None, max_length=64)
    leader_email: str | None = Field(default=None, max_length=254)


class Unit(UnitBase, table=True):
    """An org unit: the city bureau, a department, a district bureau or a school."""

    __tablename__ = "units"
    id: str = Field(primary_key=True, max_length=36)
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class UnitPublic(UnitBase):
    """A unit as the API shows it."""

    id: str


class Account(TaskSvcModel, table=True):
    """A login of the embedded identity provider."""

    __tablename__ = "accounts"
    username: str = Field(primary_key=True, max_length=64)
    password_hash: str = Field(max_length=200)
    unit_id: str | None = Field(default=None, max_length=36, index=True)
    roles: str = Field(default="", max_length=200)  # space-separated
    display_name: str | None = Field(default=None, max_length=128)
    active: bool = True
    token_version: int = 0  # bumped on deactivation and password change or reset: older tokens stop working
