"""Warning levels on tasks: computed by working days, stored on the task, each rise emitted once."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlmodel import select

from duban_shared.clock import business_today
from duban_shared.events.catalogue import TaskDeadlineApproaching, TaskOverdue
from duban_shared.uow import UnitOfWork
from task_svc.deadlines.calendar import add_workdays, warning_level
from task_svc.tasks.lifecycle import OPEN
from task_svc.tasks.models import Task
from task_svc.tasks.service import event_fields

log = logging.getLogger(__name__)
DEFAULT_WORKING_DAYS = 5
_RISES = {"yellow": TaskDeadlineApproaching, "red": TaskOverdue}


def working_days(uow: UnitOfWork) -> int:
    """The configured warning window in working days."""
    settings = getattr(uow.ctx, "settings", None)
    return int(getattr(settings, "warning_working_days", DEFAULT_WORKING_DAYS))


def level_for(task: Task, days: int) -> str:
    """The warning a task should show now: only open tasks (not yet submitted) turn yellow or red."""
    if task.status not in OPEN:
        return "green"
    return warning_level(task.due_date, business_today(), days)


async def refresh_warning(*, uow: UnitOfWork, task: Task, actor: str | None = None) -> bool:
    """Store the task's current warning; emit deadline_approaching / overdue when it turns yellow / red."""
    level = level_for(task, working_days(uow))
    if level == task.warning:
        return False
    task.warning = level
    uow.session.add(task)
    event = _RISES.get(level)
    if event is not None:
        await uow.emit(event(**event_fields(task, actor), due_date=task.due_date, title=task.title))  # type: ignore[arg-type]
    return True


async def scan(*, uow: UnitOfWork, limit: int = 500) -> int:
    """Move up to `limit` tasks whose stored warning is stale; returns how many changed.

    On PostgreSQL the rows are locked with SKIP LOCKED, so several instances share the work and a
    change is emitted once: a second instance sees the row locked, or already up to date.
    """
    today = business_today()
    horizon = add_workdays(today, working_days(uow))
    is_open = Task.status.in_(OPEN)  # type: ignore[attr-defined]
    stale = sa.or_(
        sa.and_(is_open, Task.due_date < today, Task.warning != "red"),
        sa.and_(is_open, Task.due_date >= today, Task.due_date <= horizon, Task.warning != "yellow"),
        sa.and_(Task.warning != "green", sa.or_(~is_open, Task.due_date > horizon, Task.due_date.is_(None))),  # type: ignore[union-attr]
    )
    stmt = select(Task).where(stale).order_by(Task.due_date, Task.id).limit(limit)
    if uow.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list((await uow.session.exec(stmt)).all())
    changed = 0
    for task in rows:
        changed += await refresh_warning(uow=uow, task=task, actor="system")
    return changed
