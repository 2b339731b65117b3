"""催办: remind one task, or every unacknowledged / overdue task under a parent or across a plan."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlmodel import select

from duban_shared.auth import Principal
from duban_shared.clock import business_today, clock
from duban_shared.errors import AppError
from duban_shared.events.catalogue import TaskReminded
from duban_shared.uow import UnitOfWork
from task_svc.tasks.actions import entry, load
from task_svc.tasks.lifecycle import OPEN, may, rule
from task_svc.tasks.models import Reminder, Task
from task_svc.tasks.permissions import roles_for, visibility
from task_svc.tasks.service import event_fields, get_task

DEFAULT_CAP = 3
FILTERS = {"unacknowledged": Task.status == "assigned", "overdue": Task.warning == "red"}


def daily_cap(uow: UnitOfWork) -> int:
    """How many reminders one task may get per business day."""
    return int(getattr(getattr(uow.ctx, "settings", None), "remind_daily_cap", DEFAULT_CAP))


async def _counts_today(uow: UnitOfWork, task_ids: list[str]) -> Counter[str]:
    today = business_today()
    rows = (await uow.session.exec(select(Reminder.task_id, sa.func.count()).where(
        Reminder.task_id.in_(task_ids), Reminder.day == today).group_by(Reminder.task_id))).all()  # type: ignore[attr-defined]
    return Counter({tid: int(n) for tid, n in rows})


async def _remind(uow: UnitOfWork, task: Task, actor: Principal, message: str) -> None:
    uow.session.add(Reminder(task_id=task.id, day=business_today(), message=message, actor=actor.username, actor_unit_id=actor.unit_id, at=clock.now()))
    uow.session.add(entry(task, actor, "reminded", task.status, note=message))
    await uow.emit(TaskReminded(**event_fields(task, actor.username, actor), message=message, title=task.title))  # type: ignore[arg-type]


async def remind(*, uow: UnitOfWork, task_id: str, actor: Principal, message: str) -> Task:
    """Remind one task; 429 once the task has had its daily number of reminders."""
    task, _ = await load(uow=uow, task_id=task_id, actor=actor, action="remind")
    cap = daily_cap(uow)
    if (await _counts_today(uow, [task.id]))[task.id] >= cap:
        raise AppError(429, "remind_limit", f"该任务今天已催办 {cap} 次，已达上限，请明天再催办")
    await _remind(uow, task, actor, message)
    return task


async def remind_many(*, uow: UnitOfWork, actor: Principal, filter: str, message: str, plan_id: str | None = None,
                      parent_id: str | None = None) -> dict[str, int]:
    """Remind every matching task the caller may remind; tasks at their daily cap are skipped and counted."""
    stmt = select(Task).where(FILTERS[filter], Task.status.in_(OPEN))  # type: ignore[attr-defined]
    if parent_id is not None:
        parent = await get_task(session=uow.session, task_id=parent_id, user=actor)
        # Everything below the parent: its children and theirs (a tree is at most city → district → school).
        children = select(Task.id).where(Task.parent_id == parent.id)
        stmt = stmt.where(sa.or_(Task.parent_id == parent.id, Task.parent_id.in_(children)))  # type: ignore[union-attr]
    if plan_id is not None:
        stmt = stmt.where(Task.plan_id == plan_id)
    visible = await visibility(uow.session, actor)
    if visible is not None:
        stmt = stmt.where(visible)
    tasks = list((await uow.session.exec(stmt.order_by(Task.id))).all())
    needed = rule("remind").actors
    allowed = [t for t in tasks if may("remind", await roles_for(uow.session, actor, t, needed))]
    if tasks and not allowed:
        raise AppError(403, "forbidden", "只有交办单位或其上级可以催办这些任务")
    counts, cap = await _counts_today(uow, [t.id for t in allowed]), daily_cap(uow)
    reminded = skipped = 0
    for t in allowed:
        if counts[t.id] >= cap:
            skipped += 1
            continue
        await _remind(uow, t, actor, message)
        reminded += 1
    return {"reminded": reminded, "skipped": skipped, "not_allowed": len(tasks) - len(allowed)}
