"""Plans as last published: the plan, its items, their indicators."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from duban_shared.events import utcnow
from report_svc.base import ReportSvcModel


class Plan(ReportSvcModel, table=True):
    """A published plan (latest version seen)."""

    __tablename__ = "plans"
    id: str = Field(primary_key=True, max_length=36)
    title: str = ""
    year: int | None = None
    version: int = 0
    published_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class PlanItem(ReportSvcModel, table=True):
    """One work item of a plan."""

    __tablename__ = "plan_items"
    plan_id: str = Field(primary_key=True, max_length=36)
    id: str = Field(primary_key=True, max_length=36)
    position: int = 0
    section_number: str = ""
    section_title: str = ""
    number: str = ""
    title: str = ""


class PlanIndicator(ReportSvcModel, table=True):
    """A quantitative target of an item."""

    __tablename__ = "plan_indicators"
    plan_id: str = Field(primary_key=True, max_length=36)
    id: str = Field(primary_key=True, max_length=36)
    item_id: str = Field(max_length=36, index=True)
    position: int = 0
    name: str = ""
    comparator: str = Field(default=">=", max_length=4)
    target: float | None = None
    unit: str = ""
    kind: str = Field(default="count", max_length=8)  # count (summed) | rate (ratio or weighted mean)
