"""Set-based projection of the batched task events: tasks.assigned, tasks.withdrawn, tasks.snapshotted."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.clock import SHANGHAI
from duban_shared.events.catalogue import TasksAssigned, TasksSnapshotted, TasksWithdrawn
from report_svc.sql import insert_for
from report_svc.tasks import lines
from report_svc.tasks.models import IndicatorValue, ReportTask
from report_svc.tasks.placement import load_units, place

TASKS = ReportTask.__table__  # type: ignore[attr-defined]
VALUES = IndicatorValue.__table__  # type: ignore[attr-defined]


def aware(at: datetime) -> datetime:
    """A timezone-aware instant (naive values are UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def local_date(at: datetime | None) -> date | None:
    """The Asia/Shanghai date of an instant."""
    return aware(at).astimezone(SHANGHAI).date() if at is not None else None


def number(value: object) -> float | None:
    """A reported value as a finite float, or None when it is not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        n = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return n if math.isfinite(n) else None


def value_row(entry: dict[str, object]) -> tuple[str, float, float | None, float | None] | None:
    """(indicator id, value, numerator, denominator) of one reported entry, or None when unusable.

    A value missing but a numerator and positive denominator given is their ratio in percent.
    """
    indicator_id = entry.get("indicator_id")
    if not isinstance(indicator_id, str) or not 0 < len(indicator_id) <= 36:
        return None
    num, den = number(entry.get("numerator")), number(entry.get("denominator"))
    if num is None or den is None or den <= 0:
        num = den = None
    value = number(entry.get("value"))
    if value is None and num is not None and den:
        value = round(num / den * 100, 6)
    return None if value is None else (indicator_id, value, num, den)


async def upsert_values(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Latest indicator values per (task, indicator); an older report never overwrites a newer one."""
    if not rows:
        return
    stmt = insert_for(session, VALUES)
    cols = {k: getattr(stmt.excluded, k) for k in ("value", "numerator", "denominator", "reported_at", "unit_id", "plan_id")}
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[VALUES.c.task_id, VALUES.c.indicator_id], set_=cols, where=VALUES.c.reported_at <= stmt.excluded.reported_at,
    ), rows)


async def apply_assigned(*, session: AsyncSession, event: TasksAssigned) -> int:
    """Insert a batch's tasks (ON CONFLICT: only fill what an earlier lifecycle event could not know)."""
    at = aware(event.at)
    units = await load_units(session, [t.unit_id for t in event.tasks] + [t.issuer_unit_id for t in event.tasks])
    rows: list[dict[str, Any]] = []
    for t in event.tasks:
        district, key = place(t.level, t.unit_id, t.issuer_unit_id, units)
        rows.append(dict(
            id=t.task_id, plan_id=event.plan_id, item_id=event.item_id, parent_id=t.parent_id or event.parent_id, level=t.level,
            unit_id=t.unit_id, issuer_unit_id=t.issuer_unit_id, title=event.title, status="assigned", due_date=t.due_date, percent=0,
            last_event_at=at, assigned_at=at, district_id=district, org_key=key, warning="green", origin=event.reason,
            last_report_note="", board_line=lines.render(id=t.task_id, unit_id=t.unit_id, level=t.level, status="assigned", acknowledged_at=None,
                                                         submitted_at=None, percent=0, last_report_at=None, last_report_note=""),
        ))
    if rows:
        stmt = insert_for(session, TASKS)
        # A lifecycle event that overtook its batch made the row without title, due date or start time (its board
        # line stays: the due date is not part of the stored line).
        stmt = stmt.on_conflict_do_update(
            index_elements=[TASKS.c.id],
            set_={"title": stmt.excluded.title, "due_date": sa.func.coalesce(TASKS.c.due_date, stmt.excluded.due_date),
                  "assigned_at": stmt.excluded.assigned_at, "origin": stmt.excluded.origin},
            where=TASKS.c.assigned_at.is_(None),
        )
        await session.execute(stmt, rows)  # executemany of one compiled statement
    return len(rows)


async def apply_withdrawn(*, session: AsyncSession, event: TasksWithdrawn) -> None:
    """Mark the listed tasks withdrawn unless something newer already happened to them."""
    at = aware(event.at)
    for lo in range(0, len(event.task_ids), 500):
        ids = event.task_ids[lo : lo + 500]
        await session.exec(sa.update(ReportTask).where(  # type: ignore[call-overload]
            ReportTask.id.in_(ids), ReportTask.last_event_at <= at,  # type: ignore[attr-defined]
        ).values(status="withdrawn", last_event_at=at, warning="green", board_line=None))  # off the board


async def apply_snapshot(*, session: AsyncSession, event: TasksSnapshotted) -> tuple[set[str], int]:
    """Overwrite tasks with task-svc's current state (never over a newer event); returns the plans touched and
    how many tasks the last part pruned."""
    at = aware(event.at)
    units = await load_units(session, [t.unit_id for t in event.tasks] + [t.issuer_unit_id for t in event.tasks])
    rows, values = [], []
    for t in event.tasks:
        district, key = place(t.level, t.unit_id, t.issuer_unit_id, units)
        completed = aware(t.completed_at) if t.completed_at else None
        rows.append(dict(
            id=t.task_id, plan_id=t.plan_id, item_id=t.item_id, parent_id=t.parent_id, level=t.level, unit_id=t.unit_id,
            issuer_unit_id=t.issuer_unit_id, title=t.title, status=t.status, due_date=t.due_date, percent=max(0, min(100, t.percent)),
            acknowledged_at=t.acknowledged_at, submitted_at=t.submitted_at, completed_at=completed, completed_on=local_date(completed),
            last_event_at=at, assigned_at=t.created_at, district_id=district, org_key=key, warning="green", origin="published",
            last_report_note="", snapshot_id=event.snapshot_id, board_line=None,
        ))
        for entry in t.indicator_values:
            v = value_row(entry)
            if v is not None:
                values.append(dict(task_id=t.task_id, indicator_id=v[0], plan_id=t.plan_id, value=v[1], numerator=v[2], denominator=v[3],
                                   reported_at=at, unit_id=t.unit_id))
    keep = {"last_report_at", "last_report_note", "warning", "origin", "id"}
    if rows:
        stmt = insert_for(session, TASKS)
        cols = {k: getattr(stmt.excluded, k) for k in rows[0] if k not in keep}
        await session.execute(stmt.on_conflict_do_update(index_elements=[TASKS.c.id], set_=cols, where=TASKS.c.last_event_at <= stmt.excluded.last_event_at), rows)
        # The rows applied lost their board line (the last report is kept from before): render them from what is stored now.
        await lines.fill_ids(session, [r["id"] for r in rows])
    await upsert_values(session, values)
    plans = {t.plan_id for t in event.tasks}
    pruned = await prune_after_snapshot(session=session, event=event, plans=plans) if event.part == event.parts else 0
    return plans, pruned


async def prune_after_snapshot(*, session: AsyncSession, event: TasksSnapshotted, plans: set[str]) -> int:
    """After the last part: drop tasks task-svc no longer has (not in this snapshot and not newer than it); how many."""
    at = aware(event.at)
    scope = [event.plan_id] if event.plan_id else sorted(plans | set((await session.exec(sa.select(ReportTask.plan_id).distinct())).scalars().all()))  # type: ignore[call-overload]
    stale = sa.select(ReportTask.id).where(
        ReportTask.plan_id.in_(scope), ReportTask.last_event_at < at,  # type: ignore[attr-defined]
        sa.or_(ReportTask.snapshot_id.is_(None), ReportTask.snapshot_id != event.snapshot_id),  # type: ignore[union-attr]
    )
    await session.exec(sa.delete(IndicatorValue).where(IndicatorValue.task_id.in_(stale)))  # type: ignore[attr-defined, call-overload]
    deleted = await session.exec(sa.delete(ReportTask).where(ReportTask.id.in_(stale)))  # type: ignore[attr-defined, call-overload]
    return int(deleted.rowcount or 0)
