"""Breakdown jobs (a plan version written in resumable chunks) and the items task-svc dispatched."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field

from duban_shared.events import utcnow
from task_svc.base import TaskSvcModel


class BreakdownJob(TaskSvcModel, table=True):
    """One plan version to break down; items are written in chunks, each chunk committing its progress."""

    __tablename__ = "breakdown_jobs"
    id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(max_length=36, index=True)
    plan_version: int
    kind: str = Field(max_length=16)  # published | revised
    payload: str  # the consumed event as JSON: the job needs nothing else
    correlation_id: str | None = Field(default=None, max_length=64)
    causation_id: str | None = Field(default=None, max_length=36)  # the plan event's id
    status: str = Field(default="pending", max_length=16, index=True)  # pending | done
    next_item: int = 0
    total_items: int = 0
    batches: int = 0
    tasks: int = 0
    counts: str = "{}"  # unit id -> new tasks, JSON
    warnings: str = "[]"  # JSON list
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class DispatchItem(TaskSvcModel, table=True):
    """The current snapshot of a dispatched plan item, so directory changes can follow it later."""

    __tablename__ = "dispatch_items"
    plan_id: str = Field(primary_key=True, max_length=36)
    item_id: str = Field(primary_key=True, max_length=36)
    plan_version: int
    snapshot: str  # PlanItemSnapshot as JSON
    default_deadline: date | None = None
    actor: str | None = Field(default=None, max_length=64)
    removed: bool = False
    updated_at: datetime = Field(default_factory=utcnow)
