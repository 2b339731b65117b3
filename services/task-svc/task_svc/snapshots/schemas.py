"""Request and response shapes of /api/tasks/resnapshot and /api/tasks/counts."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ResnapshotRequest(BaseModel):
    """One plan, or every plan when absent."""

    plan_id: str | None = Field(default=None, min_length=1, max_length=36)


class ResnapshotResult(BaseModel):
    """What was emitted."""

    snapshot_id: str
    plan_id: str | None = None
    parts: int
    tasks: int


class CountRow(BaseModel):
    """Tasks of one district, level and status."""

    district_id: str | None = None
    level: str
    status: str
    count: int


class PlanCounts(BaseModel):
    """GET /api/tasks/counts."""

    plan_id: str
    source: str = "task-svc"
    rows: list[CountRow]
    total: int
