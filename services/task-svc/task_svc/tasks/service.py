"""Task queries: lists and single tasks within the caller's visibility, timelines, roll-ups, event fields."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import Principal
from duban_shared.errors import not_found
from duban_shared.events import utcnow
from task_svc.tasks.lifecycle import GONE
from task_svc.tasks.models import ExtensionRequest, ProgressReport, Task, TaskEntry
from task_svc.tasks.permissions import visibility

# Statuses the breakdown leaves alone when a revision changes an item.
DONE = ("completed", "declined", "withdrawn", "reassigned")
SORTS = {"due_date": (Task.due_date.asc(), Task.id), "-due_date": (Task.due_date.desc(), Task.id),  # type: ignore[union-attr]
         "created": (Task.created_at, Task.id)}


def warning_for(task: Task) -> str:
    """The stored warning level (the deadline scheduler keeps it current)."""
    return task.warning or "green"


async def list_tasks(
    *, session: AsyncSession, user: Principal, plan_id: str | None = None, level: str | None = None, status: str | None = None,
    warning: str | None = None, unit_id: str | None = None, parent_id: str | None = None, sort: str = "created",
    limit: int = 50, offset: int = 0,
) -> tuple[list[Task], int]:
    """Tasks the caller may see, filtered and paged; filters only ever narrow the visible set."""
    stmt = select(Task)
    visible = await visibility(session, user)
    if visible is not None:
        stmt = stmt.where(visible)
    for column, value in ((Task.plan_id, plan_id), (Task.level, level), (Task.status, status), (Task.warning, warning),
                          (Task.unit_id, unit_id), (Task.parent_id, parent_id)):
        if value:
            stmt = stmt.where(column == value)
    total = (await session.exec(select(sa.func.count()).select_from(stmt.subquery()))).one()
    rows = (await session.exec(stmt.order_by(*SORTS[sort]).limit(limit).offset(offset))).all()
    return list(rows), int(total)


async def get_task(*, session: AsyncSession, task_id: str, user: Principal, lock: bool = False) -> Task:
    """One visible task; 404 also when the caller may not see it, so existence does not leak."""
    stmt = select(Task).where(Task.id == task_id)
    visible = await visibility(session, user)
    if visible is not None:
        stmt = stmt.where(visible)
    if lock and session.get_bind().dialect.name == "postgresql":
        # Concurrent actions on one task queue up instead of both reading the old status.
        stmt = stmt.with_for_update(of=Task)  # type: ignore[arg-type]
    task = (await session.exec(stmt)).first()
    if task is None:
        raise not_found("任务")
    return task


async def timeline(*, session: AsyncSession, task_id: str) -> list[TaskEntry]:
    """Every entry of a task's history, oldest first."""
    return list((await session.exec(select(TaskEntry).where(TaskEntry.task_id == task_id).order_by(TaskEntry.at, TaskEntry.id))).all())


async def reports(*, session: AsyncSession, task_id: str) -> list[ProgressReport]:
    """Every progress report of a task, newest first."""
    stmt = select(ProgressReport).where(ProgressReport.task_id == task_id).order_by(ProgressReport.at.desc(), ProgressReport.id.desc())  # type: ignore[attr-defined]
    return list((await session.exec(stmt)).all())


async def pending_extension(*, session: AsyncSession, task_id: str) -> ExtensionRequest | None:
    """The open extension request of a task, if any."""
    stmt = select(ExtensionRequest).where(ExtensionRequest.task_id == task_id, ExtensionRequest.status == "pending")
    return (await session.exec(stmt)).first()


def aggregate_values(rows: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Indicator values of many tasks: sums for counts, Σnumerator/Σdenominator (as %) for rates."""
    acc: dict[str, dict[str, Any]] = {}
    for values in rows:
        for v in values:
            a = acc.setdefault(v["indicator_id"], {"indicator_id": v["indicator_id"], "value": 0.0, "numerator": None, "denominator": None, "reports": 0})
            a["reports"] += 1
            if v.get("numerator") is not None and v.get("denominator") is not None:
                a["numerator"] = (a["numerator"] or 0) + v["numerator"]
                a["denominator"] = (a["denominator"] or 0) + v["denominator"]
            else:
                a["value"] += v["value"]
    for a in acc.values():
        if a["denominator"]:
            a["value"] = round(100.0 * a["numerator"] / a["denominator"], 4)
    return list(acc.values())


async def rollup(*, session: AsyncSession, task_id: str) -> dict[str, Any] | None:
    """A parent's children: counts by status and warning, aggregated indicator values (one query)."""
    rows = (await session.exec(select(Task.status, Task.warning, Task.indicator_values).where(Task.parent_id == task_id))).all()
    if not rows:
        return None
    counted = [r for r in rows if r[0] not in GONE]
    return {
        "children": len(counted),
        "by_status": dict(Counter(r[0] for r in rows)),
        "by_warning": dict(Counter(r[1] for r in counted)),
        "indicators": aggregate_values([json.loads(r[2] or "[]") for r in counted]),
    }


def event_fields(task: Task, actor: str | None, principal: Principal | None = None) -> dict[str, object]:
    """The fields every task event carries (who acted, as people read it, when a principal is known)."""
    fields: dict[str, object] = dict(task_id=task.id, plan_id=task.plan_id, item_id=task.item_id, parent_id=task.parent_id, level=task.level,
                                     unit_id=task.unit_id, issuer_unit_id=task.issuer_unit_id, status=task.status, actor=actor, at=utcnow())
    if principal is not None:
        fields.update(actor_name=getattr(principal, "display_name", None), actor_unit_id=principal.unit_id)
    return fields
