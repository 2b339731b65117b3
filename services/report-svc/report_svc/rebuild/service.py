"""Rebuild: record the request and ask task-svc (by event) to re-emit its state; follow its parts; counts for the check."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.db import Database
from duban_shared.errors import not_found
from duban_shared.events import utcnow
from duban_shared.events.catalogue import ReportRebuildRequested, TasksSnapshotted, TaskState
from duban_shared.uow import UnitOfWork
from report_svc.rebuild.models import Rebuild
from report_svc.rebuild.schemas import STATE_TEXT, RebuildStatus
from report_svc.reports.service import STATS, require_plan
from report_svc.stats.models import StatsState
from report_svc.stats.service import ensure_fresh
from report_svc.tasks.projection import TASKS, aware

log = logging.getLogger(__name__)
STATUS_COLUMNS = {"assigned": "assigned", "acknowledged": "acknowledged_now", "in_progress": "in_progress", "submitted": "submitted_now",
                  "completed": "completed", "returned": "returned", "declined": "declined", "withdrawn": "withdrawn", "reassigned": "reassigned"}
# What a rebuild counts as a change of a task (TaskState field = tasks column).
COMPARED = ("plan_id", "item_id", "parent_id", "level", "unit_id", "issuer_unit_id", "title", "status", "due_date", "percent")


async def request_rebuild(*, uow: UnitOfWork, plan_id: str | None, requested_by: str) -> Rebuild:
    """Mark the plan's figures stale, record the request and stage reports.rebuild_requested, in the caller's transaction."""
    rebuild = Rebuild(request_id=str(uuid.uuid4()), plan_id=plan_id, requested_by=requested_by[:64], requested_at=utcnow())
    await forget_stats(session=uow.session, plan_id=plan_id)
    uow.session.add(rebuild)
    await uow.emit(ReportRebuildRequested(request_id=rebuild.request_id, plan_id=plan_id, requested_by=rebuild.requested_by,
                                          at=rebuild.requested_at))
    return rebuild


async def forget_stats(*, session: AsyncSession, plan_id: str | None) -> None:
    """Mark the precomputed rows stale, so the next read recomputes them whatever they hold now."""
    where = StatsState.plan_id == plan_id if plan_id else sa.true()
    await session.execute(sa.update(StatsState).where(where).values(dirty_gen=uuid.uuid4().hex, marked_at=utcnow()))


async def rebuild_status(*, session: AsyncSession, request_id: str) -> RebuildStatus:
    """Where a rebuild stands; 404 for an unknown request."""
    r = await session.get(Rebuild, request_id)
    if r is None:
        raise not_found("重建请求")
    state = "finished" if r.finished_at else "running" if r.parts_received else "requested"
    return RebuildStatus(**r.model_dump(), status=state, status_text=STATE_TEXT[state])


def _incoming(task: TaskState, column: str) -> object:
    value = getattr(task, column)
    return max(0, min(100, value)) if column == "percent" else value  # as apply_snapshot stores it


async def compare_part(*, session: AsyncSession, event: TasksSnapshotted) -> tuple[int, int]:
    """Before a part is applied: how many of its tasks the projection lacks, and how many it holds otherwise and will take."""
    at, held = aware(event.at), {}
    ids = [t.task_id for t in event.tasks]
    for lo in range(0, len(ids), 500):
        stmt = sa.select(TASKS.c.id, TASKS.c.last_event_at, *(TASKS.c[c] for c in COMPARED)).where(TASKS.c.id.in_(ids[lo : lo + 500]))
        held.update({r["id"]: r for r in (await session.execute(stmt)).mappings().all()})
    added = changed = 0
    for t in event.tasks:
        row = held.get(t.task_id)
        if row is None:
            added += 1
        elif aware(row["last_event_at"]) <= at and any(row[c] != _incoming(t, c) for c in COMPARED):  # a newer event is kept, not changed
            changed += 1
    return added, changed


async def record_part(*, session: AsyncSession, event: TasksSnapshotted, added: int, changed: int, pruned: int) -> None:
    """Count an applied part of the rebuild it answers; the last part finishes it."""
    r = await session.get(Rebuild, event.request_id) if event.request_id else None
    if r is None:
        log.info("snapshot %s answers rebuild %s, which is not recorded here", event.snapshot_id, event.request_id)
        return
    if r.snapshot_id != event.snapshot_id:
        if r.finished_at is not None:  # a second answer to a finished request (e.g. replayed): it changed the tasks, not the record
            return
        r.snapshot_id, r.parts_received, r.tasks, r.added, r.changed, r.pruned = event.snapshot_id, 0, 0, 0, 0, 0
    r.parts_expected = event.parts
    r.parts_received += 1
    r.tasks, r.added, r.changed, r.pruned = r.tasks + len(event.tasks), r.added + added, r.changed + changed, r.pruned + pruned
    if r.parts_received >= event.parts:
        r.finished_at = utcnow()
    session.add(r)


async def plan_counts(*, db: Database, session: AsyncSession, plan_id: str) -> dict[str, Any]:
    """Task counts by district, level and status, read from the precomputed rows (what the reports show)."""
    await require_plan(session=session, plan_id=plan_id)
    await ensure_fresh(db, plan_id)
    rows = (await session.execute(sa.select(STATS).where(STATS.c.plan_id == plan_id, STATS.c.dim == "level"))).mappings().all()
    counts: dict[tuple[str | None, str, str], int] = {}
    for r in rows:
        district = r["part"] or None
        for status, col in STATUS_COLUMNS.items():
            n = int(r[col] or 0)
            key = (district, r["key"], status)
            counts[key] = counts.get(key, 0) + n
            if district is not None:  # the city-wide row includes every district's: what remains has no district
                rest = (None, r["key"], status)
                counts[rest] = counts.get(rest, 0) - n
    out = [{"district_id": d, "level": lv, "status": st, "count": n} for (d, lv, st), n in sorted(counts.items(), key=lambda kv: (kv[0][0] or "", kv[0][1], kv[0][2])) if n]
    return {"plan_id": plan_id, "source": "report-svc", "rows": out, "total": sum(x["count"] for x in out)}
