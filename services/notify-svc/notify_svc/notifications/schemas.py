"""Notification API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class NotificationPublic(BaseModel):
    """A notification as its recipient sees it."""

    id: str
    kind: str
    title: str
    body: str
    task_id: str | None
    plan_id: str | None
    created_at: datetime
    read_at: datetime | None
    urgent: bool = False
    # How many reminders merged into this notice within the merge window.
    repeat_count: int = 1


class NotificationPage(BaseModel):
    """A page of the caller's notifications with counts."""

    items: list[NotificationPublic]
    total: int
    unread: int


class ReadAllResult(BaseModel):
    """How many notifications were marked read."""

    updated: int


class DeliveryPublic(BaseModel):
    """How a notice went out over one channel."""

    channel: str
    status: str
    attempts: int
    last_error: str | None
    urgent: bool
    next_attempt_at: datetime
    held_until: datetime | None
    sent_at: datetime | None
