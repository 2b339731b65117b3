"""Emit the current state of tasks as batched tasks.snapshotted events; count tasks for the consistency check."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events import utcnow
from duban_shared.events.catalogue import TasksSnapshotted, TaskState
from duban_shared.uow import UnitOfWork
from task_svc.directory.models import Unit
from task_svc.snapshots.schemas import CountRow, PlanCounts, ResnapshotResult
from task_svc.tasks.models import Task, TaskEntry

PART_SIZE = 500  # tasks per event: a few hundred KB, well under the broker's message limit


def _values(data: str) -> list[dict[str, object]]:
    """Indicator values recorded on a progress entry (a JSON list, or an object with `indicator_values`)."""
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        return []
    if isinstance(parsed, dict):
        parsed = parsed.get("indicator_values")
    return [v for v in parsed if isinstance(v, dict) and "indicator_id" in v] if isinstance(parsed, list) else []


async def _history(session: AsyncSession, ids: list[str]) -> tuple[dict[str, dict[str, datetime]], dict[str, list[dict[str, object]]]]:
    """First acknowledgement, last submission and completion per task, and each task's latest value per indicator."""
    times: dict[str, dict[str, datetime]] = defaultdict(dict)
    rows = (await session.exec(select(TaskEntry.task_id, TaskEntry.to_status, sa.func.min(TaskEntry.at), sa.func.max(TaskEntry.at))  # type: ignore[call-overload]
                               .where(TaskEntry.task_id.in_(ids), TaskEntry.to_status.in_(("acknowledged", "submitted", "completed")))  # type: ignore[attr-defined, union-attr]
                               .group_by(TaskEntry.task_id, TaskEntry.to_status))).all()
    for task_id, status, first, last in rows:
        times[task_id][status] = first if status == "acknowledged" else last
    values: dict[str, dict[str, dict[str, object]]] = defaultdict(dict)
    entries = (await session.exec(select(TaskEntry.task_id, TaskEntry.data).where(TaskEntry.task_id.in_(ids), TaskEntry.data != "")  # type: ignore[attr-defined]
                                  .order_by(TaskEntry.at, TaskEntry.id))).all()
    for task_id, data in entries:
        for v in _values(data):
            values[task_id][str(v["indicator_id"])] = v
    return times, {k: list(v.values()) for k, v in values.items()}


def _state(t: Task, times: dict[str, datetime], values: list[dict[str, object]]) -> TaskState:
    return TaskState(
        task_id=t.id, plan_id=t.plan_id, plan_version=t.plan_version, item_id=t.item_id, parent_id=t.parent_id, level=t.level,  # type: ignore[arg-type]
        unit_id=t.unit_id, issuer_unit_id=t.issuer_unit_id, title=t.title, status=t.status, due_date=t.due_date, percent=t.percent,  # type: ignore[arg-type]
        created_at=t.created_at, acknowledged_at=times.get("acknowledged"), submitted_at=times.get("submitted"),
        completed_at=times.get("completed") if t.status == "completed" else None, indicator_values=values,
    )


async def resnapshot(*, uow: UnitOfWork, plan_id: str | None, request_id: str | None = None, part_size: int = PART_SIZE) -> ResnapshotResult:
    """Stage every task (of one plan, or all) as tasks.snapshotted parts in the outbox, in one transaction.

    `request_id`: the report-svc rebuild being answered, carried in every part so it can follow its progress.
    """
    session = uow.session
    where = Task.plan_id == plan_id if plan_id else sa.true()
    total = int((await session.exec(select(sa.func.count()).select_from(Task).where(where))).one())  # type: ignore[call-overload]
    parts = max(1, -(-total // part_size))
    snapshot_id, at = str(uuid.uuid4()), utcnow()
    last_id = ""
    for part in range(1, parts + 1):
        tasks = list((await session.exec(select(Task).where(where, Task.id > last_id).order_by(Task.id).limit(part_size))).all())
        if tasks:
            last_id = tasks[-1].id
        times, values = await _history(session, [t.id for t in tasks])
        await uow.emit(TasksSnapshotted(snapshot_id=snapshot_id, plan_id=plan_id, part=part, parts=parts, at=at, request_id=request_id,
                                        tasks=[_state(t, times.get(t.id, {}), values.get(t.id, [])) for t in tasks]))
    return ResnapshotResult(snapshot_id=snapshot_id, plan_id=plan_id, parts=parts, tasks=total)


async def plan_counts(*, session: AsyncSession, plan_id: str) -> PlanCounts:
    """Tasks of a plan by district (the unit itself, or a school's parent), level and status."""
    district = sa.case((Unit.kind == "district", Unit.id), (Unit.kind == "school", Unit.parent_id), else_=None)
    stmt = (sa.select(district.label("district_id"), Task.level, Task.status, sa.func.count().label("n"))
            .select_from(Task).outerjoin(Unit, Unit.id == Task.unit_id).where(Task.plan_id == plan_id)
            .group_by(district, Task.level, Task.status))
    rows = [CountRow(district_id=r.district_id, level=r.level, status=r.status, count=int(r.n)) for r in (await session.exec(stmt)).all()]  # type: ignore[call-overload]
    rows.sort(key=lambda r: (r.district_id or "", r.level, r.status))
    return PlanCounts(plan_id=plan_id, rows=rows, total=sum(r.count for r in rows))
