"""Tasks as their events describe them, and the latest value of each indicator per task."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field

from report_svc.base import ReportSvcModel


class ReportTask(ReportSvcModel, table=True):
    """One task, as of the newest event applied."""

    __tablename__ = "tasks"
    id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(max_length=36, index=True)
    item_id: str | None = Field(default=None, max_length=36, index=True)
    parent_id: str | None = Field(default=None, max_length=36)
    level: str = Field(max_length=16, index=True)
    unit_id: str = Field(max_length=36, index=True)
    issuer_unit_id: str | None = Field(default=None, max_length=36, index=True)
    title: str = ""
    status: str = Field(default="assigned", max_length=16, index=True)
    due_date: date | None = None
    percent: int = 0
    acknowledged_at: datetime | None = None
    submitted_at: datetime | None = None
    completed_at: datetime | None = None
    last_event_at: datetime


class IndicatorValue(ReportSvcModel, table=True):
    """The latest value a task reported for one indicator."""

    __tablename__ = "indicator_values"
    task_id: str = Field(primary_key=True, max_length=36)
    indicator_id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(max_length=36, index=True)
    value: float
    reported_at: datetime
