"""Plans, their sections, items, indicators, published versions and uploaded originals."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Column, Field

from duban_shared.events import utcnow
from plan_svc.base import PlanSvcModel


class Plan(PlanSvcModel, table=True):
    """A work plan: a draft until published, then versioned."""

    __tablename__ = "plans"
    id: str = Field(primary_key=True, max_length=36)
    title: str = Field(max_length=300)
    issuer: str | None = Field(default=None, max_length=200)
    year: int | None = None
    status: str = Field(default="draft", max_length=16, index=True)  # draft | published
    version: int = 0  # last published version; 0 before the first publish
    dirty: bool = False  # edited since the last publish
    warnings: list[str] = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False))
    key_tasks: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False))
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Section(PlanSvcModel, table=True):
    """A numbered section (一、…) of a plan."""

    __tablename__ = "plan_sections"
    id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=36, ondelete="CASCADE")
    position: int
    number: str = Field(default="", max_length=16)
    title: str = Field(max_length=300)


class Item(PlanSvcModel, table=True):
    """A work item of a section."""

    __tablename__ = "plan_items"
    id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=36, ondelete="CASCADE")
    section_id: str = Field(foreign_key="plan_sections.id", index=True, max_length=36, ondelete="CASCADE")
    position: int
    number: str = Field(default="", max_length=16)
    title: str = Field(max_length=500)
    body: str = Field(default="", sa_column=Column(sa.Text, nullable=False, server_default=""))
    lead_units: list[str] = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False))
    supporting_units: list[str] = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False))
    deadline: date | None = None
    targets: dict[str, Any] = Field(default_factory=dict, sa_column=Column(sa.JSON, nullable=False))
    # The document's own words and the parser's doubts, kept for the reviewer (migration 0002_parser).
    group: str | None = Field(default=None, max_length=300)
    deadline_text: str | None = Field(default=None, max_length=100)
    lead_unit_ids: list[str] = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False, server_default="[]"))
    supporting_unit_ids: list[str] = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False, server_default="[]"))
    unresolved_units: list[str] = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False, server_default="[]"))
    confidence: float | None = None
    reasons: list[str] = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False, server_default="[]"))


class Indicator(PlanSvcModel, table=True):
    """A quantitative target of an item."""

    __tablename__ = "plan_indicators"
    id: str = Field(primary_key=True, max_length=36)
    item_id: str = Field(foreign_key="plan_items.id", index=True, max_length=36, ondelete="CASCADE")
    position: int
    text: str = Field(default="", max_length=500)
    name: str = Field(max_length=200)
    comparator: str = Field(default=">=", max_length=2)
    target: float | None = None
    unit: str = Field(default="", max_length=20)


class PlanVersion(PlanSvcModel, table=True):
    """A frozen, published version of a plan (the snapshot task-svc was sent)."""

    __tablename__ = "plan_versions"
    plan_id: str = Field(foreign_key="plans.id", primary_key=True, max_length=36, ondelete="CASCADE")
    version: int = Field(primary_key=True)
    snapshot: dict[str, Any] = Field(sa_column=Column(sa.JSON, nullable=False))
    published_by: str = Field(max_length=64)
    published_at: datetime = Field(default_factory=utcnow)


class PlanFile(PlanSvcModel, table=True):
    """An uploaded original document, kept with its plan."""

    __tablename__ = "plan_files"
    id: str = Field(primary_key=True, max_length=36)
    plan_id: str = Field(foreign_key="plans.id", index=True, max_length=36, ondelete="CASCADE")
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=120)
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    uploaded_by: str | None = Field(default=None, max_length=64)
    uploaded_at: datetime = Field(default_factory=utcnow)
