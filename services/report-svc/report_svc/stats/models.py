"""Precomputed statistics rows and the per-plan freshness marker."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from duban_shared.events import utcnow
from report_svc.base import ReportSvcModel


class StatsFields(ReportSvcModel):
    """The figures of one slice of a plan (counts exclude withdrawn and reassigned tasks)."""

    tasks: int = 0
    assigned: int = 0
    acknowledged_now: int = 0
    in_progress: int = 0
    submitted_now: int = 0
    completed: int = 0
    returned: int = 0
    declined: int = 0
    withdrawn: int = 0
    reassigned: int = 0
    acknowledged: int = 0  # signed for at some point (签收过)
    submitted: int = 0  # submitted or completed
    overdue: int = 0
    due: int = 0  # completed, or due before today: the base of the on-time rate
    on_time: int = 0
    median_ack_seconds: float | None = None
    median_submit_seconds: float | None = None


class PlanStats(StatsFields, table=True):
    """One slice: part '' is the whole plan, part = a district id is that district and its schools."""

    __tablename__ = "plan_stats"
    plan_id: str = Field(primary_key=True, max_length=36)
    part: str = Field(primary_key=True, max_length=36)
    dim: str = Field(primary_key=True, max_length=12)  # total | level | section | item | district | unit
    key: str = Field(primary_key=True, max_length=64)


class StatsState(ReportSvcModel, table=True):
    """Whether a plan's stats rows are current: dirty_gen is set by every change, cleared by a recompute."""

    __tablename__ = "plan_stats_state"
    plan_id: str = Field(primary_key=True, max_length=36)
    dirty_gen: str | None = Field(default=None, max_length=36)
    as_of: date | None = None
    computed_at: datetime | None = None
    seconds: float = 0.0
    marked_at: datetime = Field(default_factory=utcnow)


class SummaryDoc(ReportSvcModel, table=True):
    """The summary of one partition, rendered to JSON when the plan's rows are recomputed (served as is)."""

    __tablename__ = "plan_summary_docs"
    plan_id: str = Field(primary_key=True, max_length=36)
    part: str = Field(primary_key=True, max_length=36)
    body: bytes = Field(sa_type=sa.LargeBinary)  # UTF-8 JSON, sent as is
