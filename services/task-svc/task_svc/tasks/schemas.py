"""Task API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

Warning = Literal["green", "yellow", "red"]


class TaskPublic(BaseModel):
    """A task in lists."""

    id: str
    plan_id: str
    plan_version: int
    item_id: str | None
    parent_id: str | None
    level: str
    unit_id: str
    unit_name: str | None = None
    issuer_unit_id: str | None
    title: str
    status: str
    percent: int
    due_date: date | None
    warning: Warning


class TimelineEntry(BaseModel):
    """One step of a task's history."""

    action: str
    actor: str | None
    from_status: str | None
    to_status: str | None
    note: str
    at: datetime


class TaskDetail(TaskPublic):
    """A task with its body and timeline."""

    body: str
    timeline: list[TimelineEntry]


class TaskPage(BaseModel):
    """A page of tasks."""

    items: list[TaskPublic]
    total: int


class RemindRequest(BaseModel):
    """催办."""

    message: str = Field(default="", max_length=1000)
