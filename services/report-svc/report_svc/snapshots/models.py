"""Snapshots: the head row and a frozen copy of the plan's stats rows."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field

from report_svc.base import ReportSvcModel
from report_svc.stats.models import StatsFields


class ReportSnapshot(ReportSvcModel, table=True):
    """A plan's figures frozen at a time (情况通报)."""

    __tablename__ = "report_snapshots"
    id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(max_length=36, index=True)
    kind: str = Field(default="manual", max_length=12)  # manual | scheduled
    label: str = ""
    taken_at: datetime
    as_of: date
    taken_by: str | None = Field(default=None, max_length=64)
    indicators: str = "[]"  # JSON: [{"id","actual","attained"}] city-wide


class SnapshotStats(StatsFields, table=True):
    """A copy of one plan_stats row at the snapshot's time."""

    __tablename__ = "snapshot_stats"
    snapshot_id: str = Field(primary_key=True, max_length=36)
    part: str = Field(primary_key=True, max_length=36)
    dim: str = Field(primary_key=True, max_length=12)
    key: str = Field(primary_key=True, max_length=64)
