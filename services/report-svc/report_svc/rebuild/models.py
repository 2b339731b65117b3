"""A rebuild request and how far task-svc's answer (its tasks.snapshotted parts) has been applied."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from report_svc.base import ReportSvcModel


class Rebuild(ReportSvcModel, table=True):
    """One `POST /api/reports/rebuild`: requested here, answered by task-svc, finished when the last part is applied."""

    __tablename__ = "report_rebuilds"
    request_id: str = Field(primary_key=True, max_length=36)
    plan_id: str | None = Field(default=None, max_length=36)  # None: every plan
    requested_by: str | None = Field(default=None, max_length=64)
    requested_at: datetime = Field(index=True)
    snapshot_id: str | None = Field(default=None, max_length=36)  # task-svc's answer, known from its first part
    parts_expected: int | None = None
    parts_received: int = 0
    tasks: int = 0  # tasks in the parts received
    added: int = 0  # of those, missing from the projection
    changed: int = 0  # held with another status, unit, due date, percent, title or place in the tree
    pruned: int = 0  # tasks the projection had and task-svc no longer has (dropped after the last part)
    finished_at: datetime | None = None
