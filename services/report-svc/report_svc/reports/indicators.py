"""Indicators of a plan: target against the actual aggregated from units' latest values, with the method shown."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from report_svc.plans.models import PlanIndicator, PlanItem
from report_svc.reports.access import Scope
from report_svc.reports.arithmetic import Aggregate, Reported, attainment, headline, is_met
from report_svc.reports.service import require_plan
from report_svc.stats.service import GONE
from report_svc.tasks.models import IndicatorValue, ReportTask
from report_svc.units.models import Unit


async def reported_values(*, session: AsyncSession, plan_id: str, scope: Scope) -> dict[str, list[Reported]]:
    """Per indicator, each unit's latest value (withdrawn and reassigned tasks left out), within the scope."""
    iv, t = IndicatorValue, ReportTask
    stmt = (sa.select(iv.indicator_id, iv.value, iv.numerator, iv.denominator, iv.reported_at, t.unit_id, t.level, t.district_id, Unit.enrolment)
            .join(t, t.id == iv.task_id).outerjoin(Unit, Unit.id == t.unit_id)
            .where(iv.plan_id == plan_id, t.plan_id == plan_id, t.status.not_in(GONE), scope.tasks_clause())  # type: ignore[attr-defined]
            .order_by(iv.reported_at))
    rows = (await session.execute(stmt)).all()
    # A district bureau without its own enrolment weighs as much as its schools together.
    district_ids = sorted({r.unit_id for r in rows if r.level == "district" and r.enrolment is None})
    schools = dict((await session.execute(sa.select(Unit.parent_id, sa.func.sum(Unit.enrolment)).where(
        Unit.parent_id.in_(district_ids), Unit.kind == "school", Unit.active).group_by(Unit.parent_id))).all()) if district_ids else {}  # type: ignore[attr-defined]
    latest: dict[tuple[str, str], Reported] = {}
    for r in rows:
        weight = r.enrolment if r.enrolment is not None else schools.get(r.unit_id) if r.level == "district" else None
        latest[(r.indicator_id, r.unit_id)] = Reported(r.unit_id, r.level, r.district_id, float(r.value), r.numerator, r.denominator,
                                                       int(weight) if weight is not None else None)
    out: dict[str, list[Reported]] = {}
    for (indicator_id, _), v in latest.items():
        out.setdefault(indicator_id, []).append(v)
    return out


def _agg(a: Aggregate) -> dict[str, Any]:
    d = asdict(a)
    d.pop("values", None)
    return d


async def definitions(*, session: AsyncSession, plan_id: str) -> list[tuple[PlanIndicator, PlanItem]]:
    """The plan's indicators with their items, in plan order."""
    return list((await session.exec(
        select(PlanIndicator, PlanItem)
        .join(PlanItem, sa.and_(PlanItem.plan_id == PlanIndicator.plan_id, PlanItem.id == PlanIndicator.item_id))
        .where(PlanIndicator.plan_id == plan_id).order_by(PlanItem.position, PlanIndicator.position)
    )).all())


async def plan_indicators(*, session: AsyncSession, plan_id: str, scope: Scope) -> dict[str, Any]:
    """Every indicator of the plan's current version with its aggregated actual and the method."""
    plan = await require_plan(session=session, plan_id=plan_id)
    values = await reported_values(session=session, plan_id=plan_id, scope=scope)
    out = []
    for ind, item in await definitions(session=session, plan_id=plan_id):
        head, per = headline(ind.kind, values.get(ind.id, []))
        out.append({
            "id": ind.id, "item_id": item.id, "item_number": item.number, "item_title": item.title, "name": ind.name,
            "comparator": ind.comparator, "target": ind.target, "unit": ind.unit, "kind": ind.kind, **_agg(head),
            "met": is_met(ind.comparator, ind.target, head.actual), "attainment": attainment(ind.comparator, ind.target, head.actual),
            "by_level": {lv: _agg(a) for lv, a in per.items()},
        })
    return {"plan_id": plan.id, "title": plan.title, "scope": {"kind": scope.kind, "unit_id": scope.unit_id}, "indicators": out}


async def district_attainment(*, session: AsyncSession, plan_id: str) -> dict[str, dict[str, Any]]:
    """Per district: each rate indicator's district actual and attainment (count targets are city-wide, not split)."""
    values = await reported_values(session=session, plan_id=plan_id, scope=Scope())
    out: dict[str, dict[str, Any]] = {}
    for ind, _item in await definitions(session=session, plan_id=plan_id):
        if ind.kind != "rate" or ind.target is None:
            continue
        by_district: dict[str, list[Reported]] = {}
        for v in values.get(ind.id, []):
            if v.district_id:
                by_district.setdefault(v.district_id, []).append(v)
        for d, vs in by_district.items():
            head, _ = headline(ind.kind, vs)
            att = attainment(ind.comparator, ind.target, head.actual)
            if att is None:
                continue
            entry = out.setdefault(d, {"details": []})
            entry["details"].append({"indicator_id": ind.id, "name": ind.name, "target": ind.target, "actual": head.actual,
                                     "attainment": att, "met": is_met(ind.comparator, ind.target, head.actual), "method": head.method})
    return out
