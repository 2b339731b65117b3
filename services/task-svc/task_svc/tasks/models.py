"""Tasks and their timeline."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field

from duban_shared.events import utcnow
from task_svc.base import TaskSvcModel


class TaskBase(TaskSvcModel):
    """Fields of a task."""

    plan_id: str = Field(max_length=36, index=True)
    plan_version: int = 1
    item_id: str | None = Field(default=None, max_length=36, index=True)
    parent_id: str | None = Field(default=None, max_length=36, index=True)
    level: str = Field(max_length=16, index=True)
    unit_id: str = Field(max_length=36, index=True)
    issuer_unit_id: str | None = Field(default=None, max_length=36)
    title: str = Field(max_length=500)
    body: str = ""
    status: str = Field(default="assigned", max_length=16, index=True)
    due_date: date | None = None
    percent: int = 0


class Task(TaskBase, table=True):
    """A unit's share of a plan item."""

    __tablename__ = "tasks"
    id: str = Field(primary_key=True, max_length=36)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TaskEntry(TaskSvcModel, table=True):
    """One transition or report on a task's timeline: who, when, what."""

    __tablename__ = "task_entries"
    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(max_length=36, index=True)
    action: str = Field(max_length=32)
    actor: str | None = Field(default=None, max_length=64)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    note: str = ""
    data: str = ""  # JSON for progress values
    at: datetime = Field(default_factory=utcnow)
