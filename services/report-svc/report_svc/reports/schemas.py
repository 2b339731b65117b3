"""Response shapes of the report API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class Counts(BaseModel):
    """Task counts of one slice; declined (withdrawn) tasks are counted apart, not in `tasks`."""

    tasks: int = 0
    acknowledged: int = 0
    completed: int = 0
    overdue: int = 0
    declined: int = 0
    completion_rate: float = 0.0


class DistrictCounts(Counts):
    """A district bureau's own tasks plus those of its schools."""

    unit_id: str
    code: str = ""
    name: str = ""


class ByLevel(BaseModel):
    """Counts per task level."""

    city: Counts
    district: Counts
    school: Counts


class PlanSummary(BaseModel):
    """GET /api/reports/plans/{id}/summary."""

    plan_id: str
    title: str
    year: int | None = None
    version: int = 0
    as_of: date
    totals: Counts
    by_level: ByLevel
    by_district: list[DistrictCounts]


class PlanRow(Counts):
    """One plan with its counts."""

    id: str
    title: str
    year: int | None = None
    version: int = 0
    published_at: datetime | None = None


class PlanList(BaseModel):
    """GET /api/reports/plans."""

    items: list[PlanRow]
    total: int


class LevelActual(BaseModel):
    """An indicator's aggregate over one level's tasks."""

    actual: float | None = None
    reporting_tasks: int = 0


class IndicatorReport(BaseModel):
    """One indicator with its target and the aggregated actual."""

    id: str
    item_id: str
    item_number: str
    item_title: str
    name: str
    comparator: str
    target: float | None = None
    unit: str
    aggregation: str  # sum | avg
    actual: float | None = None
    reporting_tasks: int = 0
    met: bool | None = None
    by_level: dict[str, LevelActual]


class PlanIndicators(BaseModel):
    """GET /api/reports/plans/{id}/indicators."""

    plan_id: str
    title: str
    indicators: list[IndicatorReport]
