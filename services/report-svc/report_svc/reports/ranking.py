"""Rankings of districts: by on-time completion and by indicator attainment (never by activity counts)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.db import Database
from duban_shared.errors import forbidden
from report_svc.reports.access import Scope
from report_svc.reports.figures import counts
from report_svc.reports.indicators import district_attainment
from report_svc.reports.service import STATS, UNITS, require_plan
from report_svc.stats.service import ensure_fresh

ON_TIME_METHOD = "按期完成率 = 按期完成任务数 / 应完成任务数（已完成或截止日期已过的任务）；并列时比完成率"
INDICATOR_METHOD = "指标达成度 = 各比例类指标（实际/目标，封顶 100%）的平均；数量类指标的目标是全市总数，不分摊到区县，不参与排名"


def _ranked(entries: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """Competition ranking (1, 2, 2, 4) on the given keys: equal figures share a place."""
    prev: tuple[Any, ...] | None = None
    rank = 0
    for i, e in enumerate(entries, start=1):
        now = tuple(e[k] for k in keys)
        if now != prev:
            rank, prev = i, now
        e["rank"] = rank
    return entries


async def ranking(*, db: Database, session: AsyncSession, plan_id: str, scope: Scope) -> dict[str, Any]:
    """Districts ranked; a district bureau sees its own places only, schools and departments may not rank."""
    if scope.kind == "unit":
        raise forbidden("只有市教育局和区县教育局可以查看排名")
    plan = await require_plan(session=session, plan_id=plan_id)
    await ensure_fresh(db, plan_id)
    stmt = (sa.select(STATS, UNITS.c.code, UNITS.c.name).select_from(STATS.outerjoin(UNITS, UNITS.c.id == STATS.c.key))
            .where(STATS.c.plan_id == plan_id, STATS.c.part == "", STATS.c.dim == "district"))
    rows = [r._mapping for r in (await session.execute(stmt)).all()]
    on_time = []
    for r in rows:
        c = counts(r)
        on_time.append({"unit_id": r["key"], "code": r["code"] or "", "name": r["name"] or r["key"], "on_time_rate": c["on_time_rate"],
                        "on_time": c["on_time"], "due": c["due"], "completion_rate": c["completion_rate"], "tasks": c["tasks"], "overdue": c["overdue"]})
    on_time.sort(key=lambda e: (-e["on_time_rate"], -e["completion_rate"], e["code"] or "~"))
    _ranked(on_time, "on_time_rate", "completion_rate")
    names = {e["unit_id"]: e for e in on_time}
    attain = []
    for d, entry in (await district_attainment(session=session, plan_id=plan_id)).items():
        capped = [min(x["attainment"], 1.0) for x in entry["details"]]
        head = names.get(d, {"code": "", "name": d})
        attain.append({"unit_id": d, "code": head["code"], "name": head["name"], "attainment": round(sum(capped) / len(capped), 4),
                       "indicators_met": sum(1 for x in entry["details"] if x["met"]), "indicators": len(capped), "details": entry["details"]})
    attain.sort(key=lambda e: (-e["attainment"], -e["indicators_met"], e["code"] or "~"))
    _ranked(attain, "attainment", "indicators_met")
    if scope.kind == "district":
        on_time = [e for e in on_time if e["unit_id"] == scope.unit_id]
        attain = [e for e in attain if e["unit_id"] == scope.unit_id]
    return {"plan_id": plan.id, "title": plan.title, "districts": len(rows), "by_on_time": on_time, "by_indicator": attain,
            "methods": {"by_on_time": ON_TIME_METHOD, "by_indicator": INDICATOR_METHOD}}
