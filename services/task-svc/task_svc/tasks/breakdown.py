"""What an item's tasks should be: the city task, district tasks and school tasks, as a tree.

Pure computation over the directory; `tasks/bulk.py` writes the difference set-based and the
breakdown jobs (`task_svc/dispatch/jobs.py`) drive it chunk by chunk.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events.catalogue import PlanItemSnapshot
from task_svc.directory.models import Unit
from task_svc.tasks.matching import match_unit

NS = uuid.UUID("5b0f3c2e-9a57-4c1e-8f3e-6c1d2f0a7b11")


def task_id_for(plan_id: str, item_id: str, unit_id: str, level: str) -> str:
    """Deterministic id: a redelivered plan never makes a second task for the same unit and item."""
    return str(uuid.uuid5(NS, f"{plan_id}/{item_id}/{level}/{unit_id}"))


@dataclass(frozen=True, slots=True)
class OrgUnit:
    """A unit as the breakdown reads it (plain rows, not ORM objects: the directory has ~1,800)."""

    id: str
    code: str
    name: str
    kind: str
    parent_id: str | None
    school_type: str | None


@dataclass
class Org:
    """The active directory as the breakdown needs it."""

    city: OrgUnit
    departments: list[OrgUnit]
    districts: list[OrgUnit]
    schools_of: dict[str, list[OrgUnit]]  # district id -> its schools, by code
    city_schools: list[OrgUnit]  # schools with no district above them (市直属)
    by_id: dict[str, OrgUnit]
    by_code: dict[str, OrgUnit]


_UNITS = Unit.__table__  # type: ignore[attr-defined]


async def org_signature(session: AsyncSession) -> tuple[object, ...]:
    """Changes whenever the directory does: lets a breakdown job reuse the directory it read."""
    q = sa.select(sa.func.count(), sa.func.max(_UNITS.c.updated_at), sa.func.sum(sa.cast(_UNITS.c.active, sa.Integer)))
    return tuple((await session.execute(q)).one())


async def load_org(session: AsyncSession) -> Org | None:
    """Active units; None while the directory has no city bureau."""
    q = sa.select(_UNITS.c.id, _UNITS.c.code, _UNITS.c.name, _UNITS.c.kind, _UNITS.c.parent_id, _UNITS.c.school_type).where(
        _UNITS.c.active == sa.true()).order_by(_UNITS.c.code)
    units = [OrgUnit(*r) for r in (await session.execute(q)).all()]
    city = next((u for u in units if u.kind == "city"), None)
    if city is None:
        return None
    districts = [u for u in units if u.kind == "district"]
    district_ids = {d.id for d in districts}
    schools_of: dict[str, list[OrgUnit]] = {d.id: [] for d in districts}
    city_schools: list[OrgUnit] = []
    for u in units:
        if u.kind == "school":
            (schools_of[u.parent_id] if u.parent_id in district_ids else city_schools).append(u)  # type: ignore[index]
    return Org(city, [u for u in units if u.kind == "department"], districts, schools_of, city_schools,
               {u.id: u for u in units}, {u.code: u for u in units})


@dataclass
class PlanRef:
    """What every task of a plan version shares."""

    plan_id: str
    version: int
    actor: str | None
    default_deadline: date | None


@dataclass(frozen=True)
class Planned:
    """One task the breakdown wants."""

    id: str
    level: str
    unit_id: str
    issuer_unit_id: str
    parent_id: str | None
    root_id: str
    due_date: date | None


@dataclass
class Tree:
    """An item's wanted tasks grouped by parent (the batch unit), its co-owners and what could not be resolved."""

    groups: dict[str | None, list[Planned]] = field(default_factory=dict)
    co_owners: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def all(self) -> list[Planned]:
        """Every wanted task, parents before children."""
        return [t for g in self.groups.values() for t in g]


def _label(item: PlanItemSnapshot) -> str:
    return f"条目{item.number or item.position}「{item.title[:30]}」"


def _resolve(ids: list[str], names: list[str], org: Org) -> tuple[list[OrgUnit], list[str]]:
    """Departments (or the city bureau) for an item's unit ids, else its names as written; and names that fit nothing."""
    found = [u for i in ids if (u := org.by_id.get(i)) is not None and u.kind in ("department", "city")]
    if found:
        return found, []
    out: list[OrgUnit] = []
    missing: list[str] = []
    for n in names:
        m = match_unit(n, org.departments)  # type: ignore[arg-type]
        if m is None:
            missing.append(n)
        elif m not in out:
            out.append(m)
    return out, missing


def wanted_tree(item: PlanItemSnapshot, ref: PlanRef, org: Org) -> Tree:
    """The tasks an item should have, given the directory as it is now."""
    tree = Tree()
    tg = item.targets
    leads, missing = _resolve(item.lead_unit_ids, item.lead_units, org)
    lead = leads[0] if leads else org.city
    if missing and not leads:
        tree.warnings.append(f"{_label(item)}：牵头单位“{'、'.join(missing)}”未能对应到名录中的处室，市级任务交市教育局本级")
    supporting, _ = _resolve(item.supporting_unit_ids, item.supporting_units, org)
    co = [u.id for u in [*leads[1:], *supporting] if u.id != lead.id]

    explicit_districts: list[OrgUnit] = []
    explicit_schools: list[OrgUnit] = []
    for ref_ in tg.units:
        u = org.by_id.get(ref_) or org.by_code.get(ref_)
        if u is None:
            tree.warnings.append(f"{_label(item)}：指定单位“{ref_}”不在名录中或已停用")
        elif u.kind == "district":
            explicit_districts.append(u)
        elif u.kind == "school":
            explicit_schools.append(u)
        elif u.kind == "department" and u.id != lead.id:
            co.append(u.id)
    tree.co_owners = list(dict.fromkeys(co))

    types = set(tg.school_types)
    schools_targeted = bool(types) or bool(explicit_schools)
    if not (tg.city or tg.districts or schools_targeted or explicit_districts or tree.co_owners):
        tree.warnings.append(f"{_label(item)}：没有可分解的对象（未勾选市级、区县或学校），未生成任务")
        return tree

    due = item.deadline or ref.default_deadline
    city_id = task_id_for(ref.plan_id, item.id, lead.id, "city")
    tree.groups[None] = [Planned(city_id, "city", lead.id, org.city.id, None, city_id, due)]

    wanted_school_ids = {s.id for s in explicit_schools}

    def targeted(s: OrgUnit) -> bool:
        return s.school_type in types or s.id in wanted_school_ids

    # Every district when districts are targeted; otherwise those supervising a targeted school, or named.
    districts = [d for d in org.districts if tg.districts or d in explicit_districts or any(map(targeted, org.schools_of[d.id]))]

    def school_task(s: OrgUnit, parent: str, issuer: str) -> Planned:
        return Planned(task_id_for(ref.plan_id, item.id, s.id, "school"), "school", s.id, issuer, parent, city_id, due)

    under_city = [Planned(task_id_for(ref.plan_id, item.id, d.id, "district"), "district", d.id, lead.id, city_id, city_id, due)
                  for d in districts]
    under_city += [school_task(s, city_id, lead.id) for s in org.city_schools if targeted(s)]
    if under_city:
        tree.groups[city_id] = under_city
    n_schools = sum(1 for t in under_city if t.level == "school")
    for dt in under_city:
        if dt.level != "district":
            continue
        kids = [school_task(s, dt.id, dt.unit_id) for s in org.schools_of.get(dt.unit_id, []) if targeted(s)]
        if kids:
            tree.groups[dt.id] = kids
            n_schools += len(kids)
    if types and n_schools == 0:
        tree.warnings.append(f"{_label(item)}：名录中没有所选类型的在册学校，未生成学校任务")
    return tree
