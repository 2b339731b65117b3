"""Snapshots (情况通报): freeze a plan's stats rows and indicator actuals; compare the present with the last one."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.clock import business_now, business_today
from duban_shared.db import Database
from duban_shared.events import utcnow
from duban_shared.uow import UnitOfWork
from report_svc.plans.models import Plan
from report_svc.reports.access import Scope
from report_svc.reports.figures import change, counts
from report_svc.reports.indicators import plan_indicators
from report_svc.reports.service import require_plan
from report_svc.snapshots.models import ReportSnapshot, SnapshotStats
from report_svc.stats.models import PlanStats, StatsFields
from report_svc.stats.service import ensure_fresh, mark_dirty

FIELDS = list(StatsFields.model_fields)
SNAP = SnapshotStats.__table__  # type: ignore[attr-defined]
STATS = PlanStats.__table__  # type: ignore[attr-defined]


def _public(s: ReportSnapshot) -> dict[str, Any]:
    return {"id": s.id, "plan_id": s.plan_id, "kind": s.kind, "label": s.label, "taken_at": s.taken_at.isoformat(),
            "as_of": s.as_of.isoformat(), "taken_by": s.taken_by}


async def take(*, uow: UnitOfWork, plan_id: str, kind: str, label: str, taken_by: str | None, at: datetime | None = None) -> dict[str, Any]:
    """Copy the plan's current stats rows (set-based) and its city-wide indicator actuals into a new snapshot."""
    session = uow.session
    await require_plan(session=session, plan_id=plan_id)
    await ensure_fresh(uow.ctx.db, plan_id)
    indicators = (await plan_indicators(session=session, plan_id=plan_id, scope=Scope()))["indicators"]
    snap = ReportSnapshot(id=str(uuid.uuid4()), plan_id=plan_id, kind=kind, label=label[:200], taken_at=at or utcnow(), as_of=business_today(),
                          taken_by=taken_by, indicators=json.dumps([{"id": i["id"], "actual": i["actual"], "attainment": i["attainment"]} for i in indicators]))
    session.add(snap)
    await session.flush()
    cols = [STATS.c[f] for f in FIELDS]
    src = sa.select(sa.literal(snap.id), STATS.c.part, STATS.c.dim, STATS.c.key, *cols).where(STATS.c.plan_id == plan_id)
    await session.execute(sa.insert(SNAP).from_select(["snapshot_id", "part", "dim", "key", *FIELDS], src))
    await mark_dirty(session, [plan_id])  # the stored summaries show the change since this snapshot from now on
    return _public(snap)


async def list_snapshots(*, session: AsyncSession, plan_id: str) -> dict[str, Any]:
    """A plan's snapshots, newest first."""
    await require_plan(session=session, plan_id=plan_id)
    rows = (await session.exec(select(ReportSnapshot).where(ReportSnapshot.plan_id == plan_id).order_by(ReportSnapshot.taken_at.desc()))).all()  # type: ignore[attr-defined]
    return {"items": [_public(s) for s in rows], "total": len(rows)}


async def latest(session: AsyncSession, plan_id: str) -> ReportSnapshot | None:
    """The plan's most recent snapshot."""
    stmt = select(ReportSnapshot).where(ReportSnapshot.plan_id == plan_id).order_by(ReportSnapshot.taken_at.desc()).limit(1)  # type: ignore[attr-defined]
    return (await session.exec(stmt)).first()


async def since_last(*, session: AsyncSession, plan_id: str, scope: Scope, summary: dict[str, Any]) -> dict[str, Any] | None:
    """The change of the summary's totals, levels and districts since the last snapshot (None when there is none)."""
    snap = await latest(session, plan_id)
    if snap is None or scope.part is None:
        return None
    rows = (await session.execute(sa.select(SNAP).where(SNAP.c.snapshot_id == snap.id, SNAP.c.part == scope.part,
                                                        SNAP.c.dim.in_(("total", "level", "district"))))).mappings().all()
    then = {(r["dim"], r["key"]): counts(r) for r in rows}
    districts = []
    for d in summary["by_district"]:
        districts.append({"unit_id": d["unit_id"], "code": d["code"], "name": d["name"], **change(d, then.get(("district", d["unit_id"]), counts(None)))})
    return {
        "snapshot": _public(snap),
        "totals": change(summary["totals"], then.get(("total", ""), counts(None))),
        "by_level": {lv: change(c, then.get(("level", lv), counts(None))) for lv, c in summary["by_level"].items()},
        "by_district": districts,
        "then": {"totals": then.get(("total", ""), counts(None))},
    }


async def take_scheduled(*, db: Database, ctx: Any, interval_days: int, now: datetime | None = None) -> int:
    """Take a scheduled snapshot of every plan whose last scheduled one is older than the interval; returns how many."""
    now = now or business_now()
    taken = 0
    async with db.sessionmaker() as session:
        plan_ids = list((await session.exec(select(Plan.id))).all())
        last = dict((await session.execute(sa.select(ReportSnapshot.plan_id, sa.func.max(ReportSnapshot.taken_at))
                                            .where(ReportSnapshot.kind == "scheduled").group_by(ReportSnapshot.plan_id))).all())
    for pid in plan_ids:
        prev = last.get(pid)
        if prev is not None and now - prev < timedelta(days=interval_days):
            continue
        async with db.sessionmaker() as session:
            uow = UnitOfWork(session, ctx.outbox, ctx=ctx)
            await take(uow=uow, plan_id=pid, kind="scheduled", label=f"{now.date().isoformat()} 定期通报", taken_by=None, at=now)
            await uow.commit()
        taken += 1
    return taken
