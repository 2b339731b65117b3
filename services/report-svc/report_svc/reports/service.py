"""Task statistics: per plan, per level, per district, always within the caller's scope."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.clock import business_today
from duban_shared.errors import not_found
from report_svc.plans.models import Plan
from report_svc.reports.access import Scope
from report_svc.reports.schemas import ByLevel, Counts, DistrictCounts, PlanList, PlanRow, PlanSummary
from report_svc.tasks.models import ReportTask
from report_svc.units.models import Unit

LEVELS = ("city", "district", "school")
DONE = ("completed", "declined")


def today_in_shanghai() -> date:
    """Today's business date (the one function in shared/ every service uses)."""
    return business_today()


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


def _counting_columns(today: date) -> list[Any]:
    status = ReportTask.status
    open_overdue = sa.and_(status.not_in(DONE), ReportTask.due_date.is_not(None), ReportTask.due_date < today)  # type: ignore[attr-defined, union-attr, operator]
    return [
        sa.func.count().label("all"),
        sa.func.sum(sa.case((status == "declined", 1), else_=0)).label("declined"),
        sa.func.sum(sa.case((status.not_in(("assigned", "declined")), 1), else_=0)).label("acknowledged"),  # type: ignore[attr-defined]
        sa.func.sum(sa.case((status == "completed", 1), else_=0)).label("completed"),
        sa.func.sum(sa.case((open_overdue, 1), else_=0)).label("overdue"),
    ]


def counts_of(rows: Iterable[Any]) -> Counts:
    """Add grouped count rows up into one Counts."""
    c = Counts()
    for r in rows:
        c.declined += int(r.declined or 0)
        c.tasks += int(r.all) - int(r.declined or 0)
        c.acknowledged += int(r.acknowledged or 0)
        c.completed += int(r.completed or 0)
        c.overdue += int(r.overdue or 0)
    c.completion_rate = round(c.completed / c.tasks, 4) if c.tasks else 0.0
    return c


async def grouped_counts(*, session: AsyncSession, scope: Scope, today: date, plan_id: str | None = None) -> list[Any]:
    """Counts grouped by plan, level, unit and issuer, within the scope."""
    keys = [ReportTask.plan_id, ReportTask.level, ReportTask.unit_id, ReportTask.issuer_unit_id]
    stmt = sa.select(*keys, *_counting_columns(today)).where(scope.tasks_clause()).group_by(*keys)
    if plan_id is not None:
        stmt = stmt.where(ReportTask.plan_id == plan_id)
    return list((await session.exec(stmt)).all())


async def units_for(*, session: AsyncSession, ids: Iterable[str]) -> dict[str, Unit]:
    """The named units plus every district bureau (so schools can be grouped under theirs)."""
    wanted = sorted({i for i in ids if i})
    found: dict[str, Unit] = {u.id: u for u in (await session.exec(select(Unit).where(Unit.kind == "district"))).all()}
    for lo in range(0, len(wanted), 500):
        chunk = wanted[lo:lo + 500]
        found.update({u.id: u for u in (await session.exec(select(Unit).where(Unit.id.in_(chunk)))).all()})  # type: ignore[attr-defined]
    return found


def district_of(level: str, unit_id: str, issuer_unit_id: str | None, units: dict[str, Unit]) -> str | None:
    """The district bureau a task belongs to, if any (its own unit, or a school's parent)."""
    unit = units.get(unit_id)
    if unit is not None:
        if unit.kind == "district":
            return unit.id
        return unit.parent_id if unit.kind == "school" else None
    if level == "district":
        return unit_id
    return issuer_unit_id if level == "school" else None


def by_district(rows: list[Any], units: dict[str, Unit], scope: Scope) -> list[DistrictCounts]:
    """One entry per district bureau having tasks, ordered by district code."""
    groups: dict[str, list[Any]] = {}
    for r in rows:
        d = district_of(r.level, r.unit_id, r.issuer_unit_id, units)
        if d is not None and (scope.everything or d == scope.district_id):
            groups.setdefault(d, []).append(r)
    out = []
    for d, rs in groups.items():
        unit = units.get(d)
        out.append(DistrictCounts(unit_id=d, code=unit.code if unit else "", name=unit.name if unit else "", **counts_of(rs).model_dump()))
    return sorted(out, key=lambda x: (x.code or "~", x.name, x.unit_id))


async def summary(*, session: AsyncSession, plan_id: str, scope: Scope, today: date | None = None) -> PlanSummary:
    """Totals, per-level and per-district counts of one plan."""
    plan = await require_plan(session=session, plan_id=plan_id)
    today = today or today_in_shanghai()
    rows = await grouped_counts(session=session, scope=scope, today=today, plan_id=plan_id)
    units = await units_for(session=session, ids=[r.unit_id for r in rows])
    levels = {lv: counts_of(r for r in rows if r.level == lv) for lv in LEVELS}
    return PlanSummary(
        plan_id=plan.id, title=plan.title, year=plan.year, version=plan.version, as_of=today,
        totals=counts_of(rows), by_level=ByLevel(**levels), by_district=by_district(rows, units, scope),
    )


async def list_plans(*, session: AsyncSession, scope: Scope, today: date | None = None) -> PlanList:
    """Every plan known, newest first, with task counts within the scope."""
    today = today or today_in_shanghai()
    rows = await grouped_counts(session=session, scope=scope, today=today)
    heads = {p.id: PlanHead(p.id, p.title, p.year, p.version, p.published_at) for p in (await session.exec(select(Plan))).all()}
    known_ids = set((await session.exec(select(ReportTask.plan_id).distinct())).all())
    for pid in known_ids - heads.keys():
        heads[pid] = PlanHead(pid, "", None, 0, None)
    items = [
        PlanRow(id=h.id, title=h.title, year=h.year, version=h.version, published_at=h.published_at,
                **counts_of(r for r in rows if r.plan_id == h.id).model_dump())
        for h in heads.values()
    ]
    items.sort(key=lambda p: (-(p.year or 0), -(p.published_at.timestamp() if p.published_at else 0), p.title, p.id))
    return PlanList(items=items, total=len(items))


async def task_rows(*, session: AsyncSession, plan_id: str, scope: Scope) -> list[ReportTask]:
    """The plan's tasks within the scope, city first, then districts and schools."""
    order = sa.case({lv: i for i, lv in enumerate(LEVELS)}, value=ReportTask.level, else_=len(LEVELS))
    stmt = select(ReportTask).where(ReportTask.plan_id == plan_id, scope.tasks_clause()).order_by(order, ReportTask.unit_id, ReportTask.id)
    return list((await session.exec(stmt)).all())
