"""Plan figures from the precomputed rows: totals, levels, sections, items, districts and schools, within the scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.clock import business_today
from duban_shared.db import Database
from duban_shared.errors import not_found
from report_svc.plans.models import Plan, PlanItem
from report_svc.reports.access import Scope
from report_svc.reports.figures import counts
from report_svc.stats.models import PlanStats, StatsState
from report_svc.stats.service import compute_rows, ensure_fresh
from report_svc.tasks.models import ReportTask
from report_svc.units.models import Unit

LEVELS = ("city", "district", "school")
OPEN = ("assigned", "acknowledged", "in_progress", "returned", "declined")
STATS = PlanStats.__table__  # type: ignore[attr-defined]
UNITS = Unit.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PlanHead:
    """What the reports show of a plan."""

    id: str
    title: str
    year: int | None
    version: int
    published_at: datetime | None


async def require_plan(*, session: AsyncSession, plan_id: str) -> PlanHead:
    """The plan, known by its plan event or at least by one of its tasks; 404 otherwise."""
    plan = await session.get(Plan, plan_id)
    if plan is not None:
        return PlanHead(plan.id, plan.title, plan.year, plan.version, plan.published_at)
    if (await session.exec(select(ReportTask.id).where(ReportTask.plan_id == plan_id).limit(1))).first() is None:
        raise not_found("计划")
    return PlanHead(plan_id, "", None, 0, None)


async def scoped_rows(*, session: AsyncSession, plan_id: str, scope: Scope, today: date) -> list[Any]:
    """The stats rows answering the scope, with unit code/name/kind/parent joined (live for a single unit)."""
    if scope.part is None:
        live = [r for r in await compute_rows(session, plan_id, today, scope.tasks_clause()) if r["part"] == ""]
        names = {u.id: u for u in (await session.exec(select(Unit).where(Unit.id.in_([r["key"] for r in live if r["dim"] in ("unit", "district")])))).all()}  # type: ignore[attr-defined]
        out = []
        for r in live:
            u = names.get(r["key"]) if r["dim"] in ("unit", "district") else None
            out.append({**r, "code": u.code if u else None, "name": u.name if u else None, "kind": u.kind if u else None, "parent_id": u.parent_id if u else None})
        return out
    joined = sa.and_(STATS.c.dim.in_(("unit", "district")), UNITS.c.id == STATS.c.key)
    stmt = (sa.select(STATS, UNITS.c.code, UNITS.c.name, UNITS.c.kind, UNITS.c.parent_id)
            .select_from(STATS.outerjoin(UNITS, joined)).where(STATS.c.plan_id == plan_id, STATS.c.part == scope.part))
    return [r._mapping for r in (await session.execute(stmt)).all()]


def _unit_entry(r: Any) -> dict[str, Any]:
    return {"unit_id": r["key"], "code": r["code"] or "", "name": r["name"] or r["key"], "kind": r["kind"], **counts(r)}


def _org_order(e: dict[str, Any], codes: dict[str, str]) -> tuple[str, str]:
    return (codes.get(e.get("district_id") or "", "~"), e["code"] or "~" + e["unit_id"])


async def summary(*, db: Database | None, session: AsyncSession, plan_id: str, scope: Scope, today: date | None = None) -> dict[str, Any]:
    """Totals, per level, section, item, district and school of one plan within the scope."""
    plan = await require_plan(session=session, plan_id=plan_id)
    today = today or business_today()
    if scope.part is not None and db is not None:
        await ensure_fresh(db, plan_id)
    rows = await scoped_rows(session=session, plan_id=plan_id, scope=scope, today=today)
    items = (await session.exec(select(PlanItem).where(PlanItem.plan_id == plan_id).order_by(PlanItem.position))).all()
    by: dict[str, dict[str, Any]] = {"total": {}, "level": {}, "section": {}, "item": {}, "district": {}, "unit": {}}
    for r in rows:
        by[r["dim"]][r["key"]] = r
    sections: list[dict[str, Any]] = []
    for it in items:
        key = it.section_number or it.section_title
        if key in by["section"] and all(s["key"] != key for s in sections):
            sections.append({"key": key, "number": it.section_number, "title": it.section_title, **counts(by["section"][key])})
    item_rows = [{"item_id": it.id, "number": it.number, "title": it.title, "section": it.section_number, **counts(by["item"].get(it.id))}
                 for it in items if it.id in by["item"]]
    districts = sorted((_unit_entry(r) for r in by["district"].values()), key=lambda e: (e["code"] or "~", e["unit_id"]))
    codes = {d["unit_id"]: d["code"] for d in districts}
    schools, departments = [], []
    for r in by["unit"].values():
        if r["kind"] in ("school", None):
            e = _unit_entry(r)
            e["district_id"] = r["parent_id"]
            schools.append(e)
        elif r["kind"] in ("city", "department"):
            departments.append(_unit_entry(r))
    schools.sort(key=lambda e: _org_order(e, codes))
    departments.sort(key=lambda e: (e["kind"] != "city", e["code"]))
    state = await session.get(StatsState, plan_id)
    return {
        "plan_id": plan.id, "title": plan.title, "year": plan.year, "version": plan.version, "as_of": today.isoformat(),
        "computed_at": state.computed_at.isoformat() if state and state.computed_at and scope.part is not None else None,
        "scope": {"kind": scope.kind, "unit_id": scope.unit_id},
        "totals": counts(by["total"].get("")),
        "by_level": {lv: counts(by["level"].get(lv)) for lv in LEVELS},
        "by_section": sections, "by_item": item_rows, "by_department": departments, "by_district": districts, "by_school": schools,
    }


async def list_plans(*, db: Database, session: AsyncSession, scope: Scope) -> dict[str, Any]:
    """Every plan known, newest first, with its totals within the scope."""
    heads = {p.id: PlanHead(p.id, p.title, p.year, p.version, p.published_at) for p in (await session.exec(select(Plan))).all()}
    for pid in set((await session.exec(select(ReportTask.plan_id).distinct())).all()) - heads.keys():
        heads[pid] = PlanHead(pid, "", None, 0, None)
    today = business_today()
    items = []
    for h in heads.values():
        if scope.part is not None:
            await ensure_fresh(db, h.id)
        rows = await scoped_rows(session=session, plan_id=h.id, scope=scope, today=today) if scope.part is None else (
            await session.execute(sa.select(STATS).where(STATS.c.plan_id == h.id, STATS.c.part == scope.part, STATS.c.dim == "total"))).mappings().all()
        total = next((r for r in rows if r["dim"] == "total"), None)
        items.append({"id": h.id, "title": h.title, "year": h.year, "version": h.version,
                      "published_at": h.published_at.isoformat() if h.published_at else None, **counts(total)})
    items.sort(key=lambda p: (p["published_at"] or "", p["title"], p["id"]), reverse=True)
    items.sort(key=lambda p: -(p["year"] or 0))
    return {"items": items, "total": len(items)}
