"""Tasks as their events describe them, and the latest value of each indicator per task."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field

from report_svc.base import ReportSvcModel


class ReportTask(ReportSvcModel, table=True):
    """One task, as of the newest event applied (a batch row, a lifecycle event or a resnapshot)."""

    __tablename__ = "tasks"
    id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(max_length=36, index=True)
    item_id: str | None = Field(default=None, max_length=36, index=True)
    parent_id: str | None = Field(default=None, max_length=36, index=True)
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
    # Added by 0002_reports: where the task sits in the org tree, when it began, how it is doing.
    district_id: str | None = Field(default=None, max_length=36, index=True)
    org_key: str = Field(default="", max_length=160)
    assigned_at: datetime | None = None
    completed_on: date | None = None  # completion date in Asia/Shanghai, compared with due_date for on-time
    warning: str = Field(default="green", max_length=8)
    origin: str = Field(default="published", max_length=16)
    last_report_at: datetime | None = None
    last_report_note: str = ""
    snapshot_id: str | None = Field(default=None, max_length=36)
    # Added by 0004_board: the task's 填报进度 line as JSON text with gaps (see tasks/lines.py); None off the board.
    board_line: str | None = None


class IndicatorValue(ReportSvcModel, table=True):
    """The latest value a task reported for one indicator (with numerator and denominator when given)."""

    __tablename__ = "indicator_values"
    task_id: str = Field(primary_key=True, max_length=36)
    indicator_id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(max_length=36, index=True)
    value: float
    reported_at: datetime
    unit_id: str | None = Field(default=None, max_length=36)
    numerator: float | None = None
    denominator: float | None = None
