"""The local copy of org units (task-svc owns the directory)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from duban_shared.events import utcnow
from notify_svc.base import NotifySvcModel


class Unit(NotifySvcModel, table=True):
    """An org unit as last announced by task-svc."""

    __tablename__ = "units"
    id: str = Field(primary_key=True, max_length=36)
    # Not unique here: codes may be swapped between units by two events that arrive one by one.
    code: str = Field(max_length=64, index=True)
    name: str = Field(max_length=128)
    kind: str = Field(max_length=16, index=True)
    parent_id: str | None = Field(default=None, max_length=36, index=True)
    school_type: str | None = Field(default=None, max_length=16)
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow)
