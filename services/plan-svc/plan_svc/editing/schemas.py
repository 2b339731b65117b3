"""Shapes of the draft editor: new items, sections, indicators, orders."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from plan_svc.plans.schemas import Comparator, IndicatorIn, ItemIn


class PlanPatch(BaseModel):
    """Plan-level fields."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=300)
    issuer: str | None = Field(default=None, max_length=200)
    year: int | None = Field(default=None, ge=1990, le=2100)


class SectionCreate(BaseModel):
    """A new section; appended unless a position is given."""

    model_config = ConfigDict(extra="forbid")
    number: str = Field(default="", max_length=16)
    title: str = Field(min_length=1, max_length=300)
    position: int | None = Field(default=None, ge=0)


class SectionPatch(BaseModel):
    """Section fields."""

    model_config = ConfigDict(extra="forbid")
    number: str | None = Field(default=None, max_length=16)
    title: str | None = Field(default=None, min_length=1, max_length=300)


class ItemCreate(ItemIn):
    """A new item in a section; appended unless a position is given."""

    model_config = ConfigDict(extra="forbid")
    section_id: str
    position: int | None = Field(default=None, ge=0)


class ItemMove(BaseModel):
    """Move an item to a section (maybe another) at a position."""

    model_config = ConfigDict(extra="forbid")
    section_id: str
    position: int = Field(ge=0)


class IndicatorCreate(IndicatorIn):
    """A new indicator; appended unless a position is given."""

    model_config = ConfigDict(extra="forbid")
    position: int | None = Field(default=None, ge=0)


class IndicatorPatch(BaseModel):
    """Indicator fields."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=500)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    comparator: Comparator | None = None
    target: float | None = None
    unit: str | None = Field(default=None, max_length=20)


class Order(BaseModel):
    """The complete new order, as a list of ids."""

    model_config = ConfigDict(extra="forbid")
    ids: list[str] = Field(max_length=1000)
