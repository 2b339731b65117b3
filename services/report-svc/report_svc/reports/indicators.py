"""Indicator aggregation: the latest value of each reporting task, summed (counts) or averaged (rates)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from report_svc.plans.models import PlanIndicator, PlanItem
from report_svc.reports.access import Scope
from report_svc.reports.schemas import IndicatorReport, LevelActual, PlanIndicators
from report_svc.reports.service import LEVELS, require_plan
from report_svc.tasks.models import IndicatorValue, ReportTask

PERCENT_UNITS = frozenset({"%", "％", "百分比", "百分点"})


def aggregation_for(unit: str) -> str:
    """Rates are averaged over reporting tasks; everything else is a count or amount and is summed."""
    return "avg" if unit.strip() in PERCENT_UNITS else "sum"


def _actual(mode: str, total: float, n: int) -> float | None:
    if n == 0:
        return None
    return round(total / n if mode == "avg" else total, 4)


def is_met(comparator: str, target: float | None, actual: float | None) -> bool | None:
    """Whether the actual reaches the target; None when either is missing or the target is approximate."""
    if target is None or actual is None:
        return None
    if comparator == ">=":
        return actual >= target
    if comparator == "<=":
        return actual <= target
    if comparator == "=":
        return abs(actual - target) < 1e-9
    return None


async def plan_indicators(*, session: AsyncSession, plan_id: str, scope: Scope) -> PlanIndicators:
    """Every indicator of the plan's current version with its aggregated actual."""
    plan = await require_plan(session=session, plan_id=plan_id)
    defs = (await session.exec(
        select(PlanIndicator, PlanItem)
        .join(PlanItem, sa.and_(PlanItem.plan_id == PlanIndicator.plan_id, PlanItem.id == PlanIndicator.item_id))
        .where(PlanIndicator.plan_id == plan_id)
        .order_by(PlanItem.position, PlanIndicator.position)
    )).all()
    agg = sa.select(
        IndicatorValue.indicator_id, ReportTask.level, sa.func.count().label("n"), sa.func.sum(IndicatorValue.value).label("total"),
    ).join(ReportTask, ReportTask.id == IndicatorValue.task_id).where(
        IndicatorValue.plan_id == plan_id, ReportTask.plan_id == plan_id, ReportTask.status != "declined", scope.tasks_clause(),
    ).group_by(IndicatorValue.indicator_id, ReportTask.level)
    sums: dict[str, dict[str, tuple[float, int]]] = {}
    for r in (await session.exec(agg)).all():
        sums.setdefault(r.indicator_id, {})[r.level] = (float(r.total or 0), int(r.n))
    out: list[IndicatorReport] = []
    for ind, item in defs:
        mode = aggregation_for(ind.unit)
        per_level = sums.get(ind.id, {})
        total = sum(t for t, _ in per_level.values())
        n = sum(c for _, c in per_level.values())
        actual = _actual(mode, total, n)
        out.append(IndicatorReport(
            id=ind.id, item_id=item.id, item_number=item.number, item_title=item.title, name=ind.name, comparator=ind.comparator,
            target=ind.target, unit=ind.unit, aggregation=mode, actual=actual, reporting_tasks=n,
            met=is_met(ind.comparator, ind.target, actual),
            by_level={lv: LevelActual(actual=_actual(mode, *per_level.get(lv, (0.0, 0))), reporting_tasks=per_level.get(lv, (0.0, 0))[1]) for lv in LEVELS},
        ))
    return PlanIndicators(plan_id=plan.id, title=plan.title, indicators=out)
