"""Precomputed figures: handlers mark a plan dirty in their transaction; a recompute rebuilds its rows set-based.

Why recompute per plan instead of incremental counters: overdue and on-time depend on the business date,
medians cannot be maintained incrementally, and a batch of 200 events touching one plan then costs one
recompute instead of 200 read-modify-writes of hot counter rows. Reads answer from the rows; a read that
finds its plan dirty (or computed on an earlier business day) recomputes first, so no read is stale.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.clock import business_today
from duban_shared.db import Database
from duban_shared.events import utcnow
from report_svc.plans.models import PlanItem
from report_svc.sql import insert_for
from report_svc.stats.models import PlanStats, StatsFields, StatsState
from report_svc.tasks.lines import GONE, fill_plan
from report_svc.tasks.models import ReportTask
from report_svc.tasks.placement import repair_placement

log = logging.getLogger(__name__)
OPEN = ("assigned", "acknowledged", "in_progress", "returned", "declined")  # not yet submitted: can be overdue
STATUS_FIELD = {"assigned": "assigned", "acknowledged": "acknowledged_now", "in_progress": "in_progress", "submitted": "submitted_now",
                "completed": "completed", "returned": "returned", "declined": "declined"}
COUNT_FIELDS = [n for n in StatsFields.model_fields if not n.startswith("median")]
STATS = PlanStats.__table__  # type: ignore[attr-defined]
STATE = StatsState.__table__  # type: ignore[attr-defined]
_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
UNKNOWN_UNIT_WAIT = 60.0  # seconds after a change during which documents naming unknown units are rendered again
Key = tuple[str, str, str]


async def mark_dirty(session: AsyncSession, plan_ids: Iterable[str]) -> None:
    """Note in the caller's transaction that these plans' figures must be recomputed (once per transaction)."""
    done: set[str] = session.info.setdefault("dirty_plans", set())
    todo = sorted({p for p in plan_ids if p} - done)
    if not todo:
        return
    rows = [{"plan_id": p, "dirty_gen": uuid.uuid4().hex, "marked_at": utcnow(), "seconds": 0.0} for p in todo]
    stmt = insert_for(session, STATE).values(rows)
    await session.exec(stmt.on_conflict_do_update(  # type: ignore[call-overload]
        index_elements=[STATE.c.plan_id], set_={"dirty_gen": stmt.excluded.dirty_gen, "marked_at": stmt.excluded.marked_at},
    ))
    done.update(todo)


async def mark_all_dirty(session: AsyncSession) -> None:
    """Every plan's figures must be recomputed (a unit's name, code or place changed: the documents show them)."""
    if session.info.get("all_dirty"):
        return
    await session.execute(sa.update(StatsState).values(dirty_gen=uuid.uuid4().hex, marked_at=utcnow()))
    session.info["all_dirty"] = True


def _flags(today: date) -> list[Any]:
    t = ReportTask
    return [
        sa.and_(t.status.in_(OPEN), t.due_date.is_not(None), t.due_date < today).label("od"),  # type: ignore[attr-defined, union-attr, operator]
        sa.or_(t.status == "completed", sa.and_(t.due_date.is_not(None), t.due_date < today)).label("due"),  # type: ignore[union-attr, operator]
        sa.and_(t.status == "completed", sa.or_(t.due_date.is_(None), t.completed_on <= t.due_date)).label("ot"),  # type: ignore[union-attr, operator]
        sa.or_(t.acknowledged_at.is_not(None), t.status.in_(("acknowledged", "in_progress", "submitted", "completed", "returned"))).label("ack"),  # type: ignore[union-attr, attr-defined]
    ]


def _add(acc: dict[str, int], status: str, od: bool, due: bool, ot: bool, ack: bool, n: int) -> None:
    if status in GONE:
        acc[status] += n
        return
    acc["tasks"] += n
    acc[STATUS_FIELD.get(status, "assigned")] += n
    acc["submitted"] += n if status in ("submitted", "completed") else 0
    acc["acknowledged"] += n if ack else 0
    acc["overdue"] += n if od else 0
    acc["due"] += n if due else 0
    acc["on_time"] += n if ot else 0


def _keys(district: str | None, dims: list[tuple[str, str]]) -> list[Key]:
    out = [("", dim, key) for dim, key in dims]
    if district:
        out += [(district, dim, key) for dim, key in dims]
    return out


async def compute_rows(session: AsyncSession, plan_id: str, today: date, where: Any = None) -> list[dict[str, Any]]:
    """Every stats row of one plan (or of the tasks matching `where`), from three grouped queries over its tasks."""
    cond = sa.and_(ReportTask.plan_id == plan_id, where if where is not None else sa.true())
    sections = {i.id: i.section_number or i.section_title for i in (await session.exec(select(PlanItem).where(PlanItem.plan_id == plan_id))).all()}
    t, flags = ReportTask, _flags(today)
    acc: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
    q1 = sa.select(t.item_id, t.district_id, t.level, t.status, *flags, sa.func.count().label("n")).where(cond)
    for r in (await session.exec(q1.group_by(t.item_id, t.district_id, t.level, t.status, *flags))).all():  # type: ignore[call-overload]
        dims = [("total", ""), ("level", r.level), ("section", sections.get(r.item_id or "", "")), ("item", r.item_id or "")]
        for k in _keys(r.district_id, dims + ([("district", r.district_id)] if r.district_id else [])):
            _add(acc[k], r.status, bool(r.od), bool(r.due), bool(r.ot), bool(r.ack), int(r.n))
    q2 = sa.select(t.unit_id, t.district_id, t.status, *flags, sa.func.count().label("n")).where(cond)
    for r in (await session.exec(q2.group_by(t.unit_id, t.district_id, t.status, *flags))).all():  # type: ignore[call-overload]
        for k in _keys(r.district_id, [("unit", r.unit_id)]):
            _add(acc[k], r.status, bool(r.od), bool(r.due), bool(r.ot), bool(r.ack), int(r.n))
    waits: dict[Key, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    q3 = sa.select(t.item_id, t.district_id, t.level, t.unit_id, t.assigned_at, t.acknowledged_at, t.submitted_at).where(
        cond, t.status.not_in(GONE), t.assigned_at.is_not(None),  # type: ignore[attr-defined, union-attr]
        sa.or_(t.acknowledged_at.is_not(None), t.submitted_at.is_not(None)),  # type: ignore[union-attr]
    )
    for r in (await session.exec(q3)).all():  # type: ignore[call-overload]
        a = (r.acknowledged_at - r.assigned_at).total_seconds() if r.acknowledged_at else None
        s = (r.submitted_at - r.assigned_at).total_seconds() if r.submitted_at else None
        dims = [("total", ""), ("level", r.level), ("section", sections.get(r.item_id or "", "")), ("item", r.item_id or ""), ("unit", r.unit_id)]
        for k in _keys(r.district_id, dims + ([("district", r.district_id)] if r.district_id else [])):
            lists = waits[k]
            if a is not None:
                lists[0].append(max(a, 0.0))
            if s is not None:
                lists[1].append(max(s, 0.0))
    rows = []
    for (part, dim, key), counts in acc.items():
        a_list, s_list = waits.get((part, dim, key), ([], []))
        rows.append({"plan_id": plan_id, "part": part, "dim": dim, "key": key[:64], **counts,
                     "median_ack_seconds": statistics.median(a_list) if a_list else None,
                     "median_submit_seconds": statistics.median(s_list) if s_list else None})
    return rows


async def recompute(db: Database, plan_id: str, *, today: date | None = None) -> float:
    """Rebuild a plan's stats rows in one transaction; the dirty mark is cleared only if nothing changed meanwhile."""
    async with _locks[plan_id]:
        today = today or business_today()
        start = time.perf_counter()
        async with db.sessionmaker() as session:
            if not db.is_sqlite:
                # Replicas recompute one plan in turn (the lock above is per process): otherwise both delete, both
                # insert, and the second insert fails on the first's rows — a 500 when it is a summary read.
                await session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("report-stats/" + plan_id))))
            state = await session.get(StatsState, plan_id)
            gen = state.dirty_gen if state else None
            await repair_placement(session, plan_id)
            await fill_plan(session, plan_id)
            rows = await compute_rows(session, plan_id, today)
            await session.exec(sa.delete(PlanStats).where(PlanStats.plan_id == plan_id))  # type: ignore[call-overload]
            if rows:
                await session.execute(sa.insert(PlanStats), rows)  # executemany: one compiled statement
            from report_svc.reports.docs import (
                write_docs,  # the summary documents are built from the rows just written
            )

            complete = await write_docs(session, plan_id, today, {r["part"] for r in rows})
            if not complete and state is not None and (utcnow() - state.marked_at).total_seconds() < UNKNOWN_UNIT_WAIT:
                # A unit.upserted may be committing right now on the directory consumer: stay dirty, render again soon.
                gen = "-keep-dirty-"
            seconds = time.perf_counter() - start
            done = {"as_of": today, "computed_at": utcnow(), "seconds": seconds}
            if state is None:
                session.add(StatsState(plan_id=plan_id, dirty_gen=None, **done))
            else:
                cond = STATE.c.dirty_gen.is_(None) if gen is None else STATE.c.dirty_gen == gen
                await session.exec(sa.update(StatsState).where(STATE.c.plan_id == plan_id, cond).values(dirty_gen=None, **done))  # type: ignore[call-overload]
                await session.exec(sa.update(StatsState).where(STATE.c.plan_id == plan_id).values(**done))  # type: ignore[call-overload]
            try:
                await session.commit()
            except IntegrityError:  # another instance recomputed the same plan at the same moment; its rows stand
                await session.rollback()
        return seconds


async def ensure_fresh(db: Database, plan_id: str) -> None:
    """Recompute now when the plan changed since its rows were computed, or they are of an earlier business day."""
    async with db.sessionmaker() as session:
        state = await session.get(StatsState, plan_id)
    if state is not None and state.dirty_gen is None and state.as_of == business_today():
        return
    if state is None:
        async with db.sessionmaker() as session:
            if (await session.exec(select(ReportTask.id).where(ReportTask.plan_id == plan_id).limit(1))).first() is None:
                return
    await recompute(db, plan_id)


async def refresh_due(db: Database, *, quiet: float = 1.0, max_wait: float = 15.0) -> int:
    """One pass of the background refresher: recompute dirty or stale plans once their changes pause for `quiet`
    seconds (at the latest `max_wait` after the last recompute), never spending more than a third of the time on it."""
    today, now = business_today(), utcnow()
    async with db.sessionmaker() as session:
        states = (await session.exec(select(StatsState).where(sa.or_(StatsState.dirty_gen.is_not(None), StatsState.as_of.is_(None), StatsState.as_of != today)))).all()  # type: ignore[union-attr]
    done = 0
    for s in states:
        if s.computed_at is not None and s.as_of == today:
            since_compute, since_change = (now - s.computed_at).total_seconds(), (now - s.marked_at).total_seconds()
            if since_compute < 2 * s.seconds:  # leave the projection most of the time
                continue
            if since_change < quiet and since_compute < max_wait:  # still changing (a publication draining): wait for a pause
                continue
        await recompute(db, s.plan_id, today=today)
        done += 1
    return done


async def refresher(db: Database, interval: float) -> None:
    """Run refresh_due forever (report-svc's lifespan starts and cancels it)."""
    while True:
        try:
            await refresh_due(db, quiet=max(interval, 0.5))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database may be briefly away; the next pass retries
            log.warning("stats refresh failed: %s", exc)
        await asyncio.sleep(interval)
