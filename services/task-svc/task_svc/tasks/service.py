"""Task lifecycle: queries with visibility rules, and transitions that publish events."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import Principal
from duban_shared.clock import business_today
from duban_shared.errors import AppError, not_found
from duban_shared.events import utcnow
from duban_shared.events.catalogue import TaskAcknowledged, TaskEvent
from duban_shared.messaging import Outbox
from task_svc.tasks.models import Task, TaskEntry

DONE = ("completed", "declined")


def warning_for(task: Task, today: date | None = None) -> str:
    """red: overdue and open; yellow: due within 7 days and open; green otherwise."""
    if task.due_date is None or task.status in DONE:
        return "green"
    today = today or business_today()
    if task.due_date < today:
        return "red"
    if task.due_date <= today + timedelta(days=7):
        return "yellow"
    return "green"


def can_see(user: Principal, task: Task) -> bool:
    """City staff see everything; a unit sees its own tasks and those it issued."""
    if user.is_admin or user.has("city"):
        return True
    return user.unit_id is not None and user.unit_id in (task.unit_id, task.issuer_unit_id)


def _visible(stmt, user: Principal):  # type: ignore[no-untyped-def]
    if user.is_admin or user.has("city"):
        return stmt
    return stmt.where(sa.or_(Task.unit_id == user.unit_id, Task.issuer_unit_id == user.unit_id))


async def list_tasks(
    *, session: AsyncSession, user: Principal, plan_id: str | None = None, level: str | None = None,
    status: str | None = None, unit_id: str | None = None, parent_id: str | None = None, limit: int = 50, offset: int = 0,
) -> tuple[list[Task], int]:
    """Tasks the caller may see, filtered and paged."""
    stmt = _visible(select(Task), user)
    for column, value in ((Task.plan_id, plan_id), (Task.level, level), (Task.status, status), (Task.unit_id, unit_id), (Task.parent_id, parent_id)):
        if value:
            stmt = stmt.where(column == value)
    total = (await session.exec(select(sa.func.count()).select_from(stmt.subquery()))).one()
    rows = (await session.exec(stmt.order_by(Task.created_at, Task.id).limit(limit).offset(offset))).all()
    return list(rows), int(total)


async def get_task(*, session: AsyncSession, task_id: str, user: Principal) -> Task:
    """One task; 404 also when the caller may not see it, so existence does not leak."""
    task = await session.get(Task, task_id)
    if task is None or not can_see(user, task):
        raise not_found("任务")
    return task


async def timeline(*, session: AsyncSession, task_id: str) -> list[TaskEntry]:
    """Every entry of a task's history, oldest first."""
    return list((await session.exec(select(TaskEntry).where(TaskEntry.task_id == task_id).order_by(TaskEntry.at, TaskEntry.id))).all())


def event_fields(task: Task, actor: str | None) -> dict[str, object]:
    """The fields every task event carries."""
    return dict(task_id=task.id, plan_id=task.plan_id, item_id=task.item_id, parent_id=task.parent_id, level=task.level,
                unit_id=task.unit_id, issuer_unit_id=task.issuer_unit_id, status=task.status, actor=actor, at=utcnow())


async def _transition(session: AsyncSession, outbox: Outbox, task: Task, to: str, actor: str, event: type[TaskEvent], note: str = "") -> Task:
    entry = TaskEntry(task_id=task.id, action=event.TYPE.split(".", 1)[1], actor=actor, from_status=task.status, to_status=to, note=note)
    task.status = to
    task.updated_at = utcnow()
    session.add(task)
    session.add(entry)
    await outbox.add(session, event(**event_fields(task, actor)))  # type: ignore[arg-type]
    await session.commit()
    await session.refresh(task)
    return task


async def acknowledge(*, session: AsyncSession, outbox: Outbox, task_id: str, actor: Principal) -> Task:
    """签收: the assigned unit signs for its task; a second call changes nothing."""
    task = await get_task(session=session, task_id=task_id, user=actor)
    if task.unit_id != actor.unit_id and not actor.is_admin:
        raise AppError(403, "forbidden", "只有承办单位可以签收此任务")
    if task.status != "assigned":
        if task.status == "declined":
            raise AppError(409, "task_declined", "任务已撤销，无法签收")
        return task
    return await _transition(session, outbox, task, "acknowledged", actor.username, TaskAcknowledged)
