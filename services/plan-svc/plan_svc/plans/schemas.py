"""Plan API shapes: the draft (plan-draft.schema.json) going in, the plan with ids coming out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SchoolType = Literal["kindergarten", "primary", "junior", "senior", "vocational", "special", "university"]
Comparator = Literal[">=", "<=", "=", "~"]


class Targets(BaseModel):
    """Suggested breakdown of an item."""

    city: bool = True
    districts: bool = False
    school_types: list[SchoolType] = []


class IndicatorIn(BaseModel):
    """An indicator as written in a draft or an edit."""

    model_config = ConfigDict(extra="ignore")
    text: str = Field(default="", max_length=500)
    name: str = Field(min_length=1, max_length=200)
    comparator: Comparator = ">="
    target: float | None = None
    unit: str = Field(default="", max_length=20)


class IndicatorOut(IndicatorIn):
    """An indicator with its id."""

    id: str


class ItemIn(BaseModel):
    """An item of a draft."""

    model_config = ConfigDict(extra="ignore")
    number: str = Field(default="", max_length=16)
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(default="", max_length=20000)
    lead_units: list[str] = []
    supporting_units: list[str] = []
    deadline: date | None = None
    indicators: list[IndicatorIn] = []
    targets: Targets = Targets()
    group: str | None = Field(default=None, max_length=300)
    deadline_text: str | None = Field(default=None, max_length=100)
    lead_unit_ids: list[str] = []
    supporting_unit_ids: list[str] = []
    unresolved_units: list[str] = []
    confidence: float | None = Field(default=None, ge=0, le=1)
    reasons: list[str] = []


class ItemOut(ItemIn):
    """An item with ids."""

    id: str
    section_id: str
    position: int
    indicators: list[IndicatorOut] = []  # type: ignore[assignment]


class SectionIn(BaseModel):
    """A section of a draft."""

    model_config = ConfigDict(extra="ignore")
    number: str = Field(default="", max_length=16)
    title: str = Field(min_length=1, max_length=300)
    items: list[ItemIn] = []


class SectionOut(BaseModel):
    """A section with ids."""

    id: str
    number: str
    title: str
    position: int
    items: list[ItemOut]


class PlanDraftIn(BaseModel):
    """A plan draft as parsed or typed in (plan-draft.schema.json)."""

    model_config = ConfigDict(extra="ignore")
    title: str = Field(min_length=1, max_length=300)
    issuer: str | None = Field(default=None, max_length=200)
    year: int | None = Field(default=None, ge=1990, le=2100)
    sections: list[SectionIn] = Field(default=[], max_length=200)
    key_tasks: list[dict[str, Any]] = []
    warnings: list[str] = []


class PlanSummary(BaseModel):
    """A plan in lists."""

    id: str
    title: str
    year: int | None
    status: str
    version: int
    dirty: bool = False
    updated_at: datetime


class PlanPage(BaseModel):
    """A page of plans."""

    items: list[PlanSummary]
    total: int


class PlanOut(PlanSummary):
    """A plan with its whole tree."""

    issuer: str | None
    warnings: list[str]
    key_tasks: list[dict[str, Any]]
    sections: list[SectionOut]
    files: list[dict[str, Any]] = []
    check_first: list[dict[str, Any]] = []


class ItemPatch(BaseModel):
    """Fields of an item that the city may edit; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=500)
    body: str | None = Field(default=None, max_length=20000)
    lead_units: list[str] | None = None
    supporting_units: list[str] | None = None
    deadline: date | None = None
    indicators: list[IndicatorIn] | None = None
    targets: Targets | None = None


class PublishOut(BaseModel):
    """Answer of publish."""

    id: str
    status: str
    version: int


class PlanImportOut(BaseModel):
    """Answer of import: the new draft plan, its tree under `draft`."""

    id: str
    status: str
    version: int
    draft: PlanOut
