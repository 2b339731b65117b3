"""Notifications and what notify-svc remembers of tasks to word them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from duban_shared.clock import clock
from duban_shared.events import utcnow
from notify_svc.base import NotifySvcModel

TITLE_MAX = 600


class Notification(NotifySvcModel, table=True):
    """One in-app message to one unit, caused by one event (a digest or a merged reminder by several)."""

    __tablename__ = "notifications"
    __table_args__ = (
        # Second guard behind the inbox: one event never notifies the same unit twice.
        UniqueConstraint("event_id", "unit_id", name="uq_notifications_event_unit"),
        Index("ix_notifications_unit_created", "unit_id", "created_at"),
        Index("ix_notifications_unit_read", "unit_id", "read_at"),
    )
    id: str = Field(primary_key=True, max_length=36)
    unit_id: str = Field(max_length=36)
    kind: str = Field(max_length=32)
    title: str = Field(max_length=TITLE_MAX)
    body: str = ""
    task_id: str | None = Field(default=None, max_length=36, index=True)
    plan_id: str | None = Field(default=None, max_length=36)
    event_id: str = Field(max_length=36)
    created_at: datetime = Field(default_factory=clock.now)
    read_at: datetime | None = None
    # An escalation: email and robots send it even in the unit's no-disturb hours.
    urgent: bool = False
    # Reminders merged into this one within the merge window (1 = just this one).
    repeat_count: int = 1
    last_event_id: str | None = Field(default=None, max_length=36)
    updated_at: datetime | None = None


class TaskRef(NotifySvcModel, table=True):
    """A task's title, unit and deadline, from tasks.assigned batches and task events, for later messages."""

    __tablename__ = "task_refs"
    __table_args__ = (Index("ix_task_refs_plan_digest", "plan_id", "digest_id", "unit_id"),)
    task_id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(max_length=36)
    unit_id: str = Field(max_length=36)
    issuer_unit_id: str | None = Field(default=None, max_length=36)
    title: str = Field(default="", max_length=500)
    due_date: date | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    level: str | None = Field(default=None, max_length=16)
    parent_id: str | None = Field(default=None, max_length=36)
    plan_version: int | None = None
    # The notice that told the unit of this task (a digest, a reassignment); NULL until then.
    digest_id: str | None = Field(default=None, max_length=36)
