"""Who an item's tasks go to, computed from plan-svc's directory copy the way task-svc's breakdown does.

Mirrors `task_svc/tasks/breakdown.py` (`wanted_tree`): the city task (the lead department, issued by
the city bureau), district tasks (every district when districts are targeted, else those supervising a
targeted school, or named), school tasks of the targeted types under their district (city-run schools
under the city task). Only the units matter here, not task ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events.catalogue import PlanItemSnapshot
from plan_svc.units.models import DirectoryUnit

LEVELS = ("city", "district", "school")


@dataclass
class Org:
    """The active directory as the preview needs it."""

    city: DirectoryUnit
    districts: list[DirectoryUnit]
    schools_of: dict[str, list[DirectoryUnit]]  # district id -> its schools
    city_schools: list[DirectoryUnit]  # schools with no district above them (市直属)
    by_id: dict[str, DirectoryUnit]
    by_code: dict[str, DirectoryUnit]

    def name(self, unit_id: str | None) -> str:
        """A unit's name as notify-svc writes it ("上级单位" when unknown)."""
        u = self.by_id.get(unit_id or "")
        return u.name if u else "上级单位"

    @property
    def school_count(self) -> int:
        """Active schools known to the copy."""
        return sum(len(s) for s in self.schools_of.values()) + len(self.city_schools)


@dataclass(frozen=True)
class Want:
    """One task an item wants: its unit's level, the unit, who issues it and its due date."""

    level: str
    unit_id: str
    issuer_id: str
    due: date | None


@dataclass
class Wanted:
    """An item's wanted tasks by unit id, and why some could not be placed."""

    tasks: dict[str, Want] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


async def load_org(*, session: AsyncSession) -> Org | None:
    """The active units of the copy, by code; None while it has no city bureau."""
    active = DirectoryUnit.active == True
    units = list((await session.exec(select(DirectoryUnit).where(active).order_by(DirectoryUnit.code))).all())
    city = next((u for u in units if u.kind == "city"), None)
    if city is None:
        return None
    districts = [u for u in units if u.kind == "district"]
    schools_of: dict[str, list[DirectoryUnit]] = {d.id: [] for d in districts}
    city_schools: list[DirectoryUnit] = []
    for u in units:
        if u.kind == "school":
            schools_of.get(u.parent_id or "", city_schools).append(u)
    return Org(city, districts, schools_of, city_schools, {u.id: u for u in units}, {u.code: u for u in units})


def _owners(ids: list[str], org: Org) -> list[DirectoryUnit]:
    return [u for i in ids if (u := org.by_id.get(i)) is not None and u.kind in ("department", "city")]


def wanted(item: PlanItemSnapshot, org: Org, default_deadline: date | None) -> Wanted:
    """The tasks an item should have, given the directory copy as it is now."""
    out = Wanted()
    tg = item.targets
    label = f"条目{item.number or item.position}「{item.title[:30]}」"
    leads = _owners(item.lead_unit_ids, org)
    if not leads and item.lead_units:
        out.warnings.append(f"{label}：牵头单位“{'、'.join(item.lead_units)}”未对应到名录中的处室，市级任务交市教育局本级")
    lead = leads[0] if leads else org.city
    co_owners = [u.id for u in [*leads[1:], *_owners(item.supporting_unit_ids, org)] if u.id != lead.id]
    named_districts: list[DirectoryUnit] = []
    named_schools: set[str] = set()
    for ref in tg.units:
        u = org.by_id.get(ref) or org.by_code.get(ref)
        if u is not None and u.kind == "district":
            named_districts.append(u)
        elif u is not None and u.kind == "school":
            named_schools.add(u.id)
        elif u is not None and u.kind == "department" and u.id != lead.id:
            co_owners.append(u.id)
    types = set(tg.school_types)
    if not (tg.city or tg.districts or types or named_schools or named_districts or co_owners):
        return out
    due = item.deadline or default_deadline
    out.tasks[lead.id] = Want("city", lead.id, org.city.id, due)

    def targeted(s: DirectoryUnit) -> bool:
        return s.school_type in types or s.id in named_schools

    for d in org.districts:
        mine = [s for s in org.schools_of[d.id] if targeted(s)]
        if tg.districts or d in named_districts or mine:
            out.tasks[d.id] = Want("district", d.id, lead.id, due)
            out.tasks.update((s.id, Want("school", s.id, d.id, due)) for s in mine)
    out.tasks.update((s.id, Want("school", s.id, lead.id, due)) for s in org.city_schools if targeted(s))
    return out
