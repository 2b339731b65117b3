"""Tasks and their timeline."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
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
    issuer_unit_id: str | None = Field(default=None, max_length=36, index=True)
    title: str = Field(max_length=500)
    body: str = ""
    status: str = Field(default="assigned", max_length=16, index=True)
    due_date: date | None = None
    percent: int = 0
    # The city task at the top of this task's tree (itself for a city task): "X and its descendants".
    root_id: str | None = Field(default=None, max_length=36, index=True)
    # How the task came to be: published | revised | redispatched | late_joined | reassigned.
    origin: str = Field(default="published", max_length=16)
    late_joined: bool = False
    # green | yellow | red, kept by the deadline scheduler so lists can filter and changes emit once.
    warning: str = Field(default="green", max_length=8, index=True)
    # A reassigned task points at the task that replaced it.
    reassigned_to: str | None = Field(default=None, max_length=36)
    # The latest progress report's indicator values (JSON list), so roll-ups read one row per child.
    indicator_values: str = "[]"


class Task(TaskBase, table=True):
    """A unit's share of a plan item."""

    __tablename__ = "tasks"
    # Lists page a unit's, a tree's or a plan's tasks by due date; the scheduler scans by due date and level.
    __table_args__ = (
        sa.Index("ix_tasks_unit_due", "unit_id", "due_date", "id"),
        sa.Index("ix_tasks_root_due", "root_id", "due_date", "id"),
        sa.Index("ix_tasks_plan_due", "plan_id", "due_date", "id"),
        sa.Index("ix_tasks_due_warning", "due_date", "warning"),
    )
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
    actor_name: str | None = Field(default=None, max_length=128)
    actor_unit_id: str | None = Field(default=None, max_length=36)
    attachments: str = "[]"  # JSON list of evidence file ids


class TaskCoOwner(TaskSvcModel, table=True):
    """A supporting department of a city task: it sees the task and its descendants and may report."""

    __tablename__ = "task_co_owners"
    task_id: str = Field(primary_key=True, max_length=36)
    unit_id: str = Field(primary_key=True, max_length=36, index=True)


class ProgressReport(TaskSvcModel, table=True):
    """One progress report (填报); kept, never overwritten."""

    __tablename__ = "task_reports"
    id: str = Field(primary_key=True, max_length=36)
    task_id: str = Field(max_length=36, index=True)
    percent: int
    note: str = ""
    indicator_values: str = "[]"  # JSON
    evidence_ids: str = "[]"  # JSON
    actor: str | None = Field(default=None, max_length=64)
    actor_name: str | None = Field(default=None, max_length=128)
    actor_unit_id: str | None = Field(default=None, max_length=36)
    at: datetime = Field(default_factory=utcnow)


class ExtensionRequest(TaskSvcModel, table=True):
    """延期申请: a later date asked for, and the issuing level's decision."""

    __tablename__ = "task_extensions"
    id: str = Field(primary_key=True, max_length=36)
    task_id: str = Field(max_length=36, index=True)
    requested_due: date
    previous_due: date | None = None
    reason: str = ""
    status: str = Field(default="pending", max_length=16)  # pending | approved | refused
    requested_by: str | None = Field(default=None, max_length=64)
    requested_unit_id: str | None = Field(default=None, max_length=36)
    decided_by: str | None = Field(default=None, max_length=64)
    decision_note: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None


class Reminder(TaskSvcModel, table=True):
    """催办 log; the per-day count enforces the daily cap."""

    __tablename__ = "task_reminders"
    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(max_length=36, index=True)
    day: date = Field(index=True)
    message: str = ""
    actor: str | None = Field(default=None, max_length=64)
    actor_unit_id: str | None = Field(default=None, max_length=36)
    at: datetime = Field(default_factory=utcnow)
