"""GET /api/plans/{id}/revision-preview: what publishing the draft as the next version changes, and who is told what."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Level = Literal["city", "district", "school"]
Action = Literal["assigned", "updated", "withdrawn"]


class NoticeOut(BaseModel):
    """A notice as notify-svc will send it, worded for one named unit of the audience."""

    kind: str
    unit_id: str
    unit_name: str
    title: str
    body: str


class Audience(BaseModel):
    """The units of one level whose task of the item is created, changed or withdrawn, and what they are told."""

    action: Action
    level: Level
    count: int
    units: list[str]  # names, the first 20 by code
    notice: NoticeOut


class FieldChange(BaseModel):
    """One changed field of an item, before and after, as people read it."""

    field: str
    label: str
    before: str
    after: str


class ItemPreview(BaseModel):
    """One added, removed or changed item."""

    item_id: str
    number: str
    title: str
    change: Literal["added", "removed", "changed"]
    fields: list[str]
    details: list[FieldChange]
    audiences: list[Audience]
    notes: list[str]


class LevelCounts(BaseModel):
    """Tasks per level."""

    city: int = 0
    district: int = 0
    school: int = 0


class Totals(BaseModel):
    """Tasks created, changed and withdrawn per level, and how many distinct units are told anything."""

    assigned: LevelCounts
    updated: LevelCounts
    withdrawn: LevelCounts
    units: int


class DirectoryCounts(BaseModel):
    """Active units in plan-svc's directory copy, which the counts come from."""

    departments: int
    districts: int
    schools: int


class RevisionPreview(BaseModel):
    """The draft against the last published version, item by item."""

    plan_id: str
    title: str
    published_version: int
    next_version: int
    dirty: bool
    directory: DirectoryCounts
    items: list[ItemPreview]
    totals: Totals
    warnings: list[str]
