"""plan-svc's own copy of the directory (task-svc owns it): names resolve against it, the revision preview counts from it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from duban_shared.events import utcnow
from plan_svc.base import PlanSvcModel


class DirectoryUnit(PlanSvcModel, table=True):
    """A unit as last announced by task-svc in unit.upserted."""

    __tablename__ = "directory_units"
    id: str = Field(primary_key=True, max_length=36)
    code: str = Field(max_length=64)
    name: str = Field(max_length=128)
    kind: str = Field(max_length=16, index=True)
    parent_id: str | None = Field(default=None, max_length=36)
    school_type: str | None = Field(default=None, max_length=16)  # migration 0003_dir_schools
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow)
