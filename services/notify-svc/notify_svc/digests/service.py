"""Store batched tasks set-based; build one notice per unit for a plan version's new (or withdrawn) tasks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from duban_shared.events.catalogue import PlanDispatched, TasksAssigned, TasksWithdrawn
from duban_shared.uow import UnitOfWork
from notify_svc.notifications.messages import due_text
from notify_svc.notifications.models import Notification, TaskRef
from notify_svc.notifications.service import add_notifications, upsert_refs
from notify_svc.units.service import unit_names

LISTED = 30  # a digest lists this many tasks by name, then counts the rest
# Units whose digests are built together: bounds the rows held at once (~50 tasks a unit per publication).
UNITS_PER_CHUNK = 200


# Batches of a plan version's breakdown wait for plan.dispatched; these are single actions, told at once.
TOLD_AT_ONCE = ("redispatched", "late_joined", "reopened", "reassigned")


async def store_assigned(*, uow: UnitOfWork, event: TasksAssigned, event_id: str) -> list[Notification]:
    """Remember a batch's tasks in one INSERT … ON CONFLICT DO NOTHING; a single action's batch is told at once."""
    rows = [
        {"task_id": t.task_id, "plan_id": event.plan_id, "unit_id": t.unit_id, "issuer_unit_id": t.issuer_unit_id,
         "title": event.title[:500], "due_date": t.due_date, "level": t.level, "parent_id": t.parent_id,
         "plan_version": event.plan_version, "digest_id": None}
        for t in event.tasks
    ]
    await upsert_refs(session=uow.session, rows=rows)
    if event.reason not in TOLD_AT_ONCE:
        return []
    return await _tell(uow=uow, event_id=event_id, plan_id=event.plan_id, heading=event.title,
                       task_ids=[t.task_id for t in event.tasks])


def _lines(refs: Sequence[TaskRef] | Sequence[sa.Row[Any]], total: int) -> str:
    lines = [f"{i}. {r.title}（截止：{due_text(r.due_date)}）" for i, r in enumerate(refs[:LISTED], 1)]
    if total > LISTED:
        lines.append(f"……等共{total}项，请到督办系统查看全部。")
    return "\n".join(lines)


async def dispatch_digest(*, uow: UnitOfWork, event: PlanDispatched, event_id: str) -> list[Notification]:
    """One notice per unit named in the event, listing its not-yet-told tasks of the plan; marks them told.

    The batches of a plan share its partition, so every tasks.assigned of this version was stored before.
    A unit listed without untold tasks was told already (a reassignment notice): it gets no second notice.
    """
    units = [u.unit_id for u in event.units if u.count > 0]
    return await _tell(uow=uow, event_id=event_id, plan_id=event.plan_id, heading=event.title, unit_ids=units)


async def _tell(
    *, uow: UnitOfWork, event_id: str, plan_id: str, heading: str, unit_ids: Sequence[str] | None = None,
    task_ids: Sequence[str] | None = None,
) -> list[Notification]:
    """One notice per unit listing its untold tasks (of the given units or task ids); marks them told by `event_id`.

    Works through UNITS_PER_CHUNK units at a time with plain rows, so a publication of ~90,000 tasks never holds
    them all (nor ORM objects of them) at once; still one transaction, so redelivery finds everything told or nothing.
    """
    session = uow.session
    untold = sa.and_(col(TaskRef.plan_id) == plan_id, col(TaskRef.digest_id).is_(None))
    if unit_ids is None:
        which = col(TaskRef.task_id).in_(list(task_ids or []))
        unit_ids = list((await session.exec(select(TaskRef.unit_id).where(untold, which).distinct())).all())
    else:
        which = sa.true()
    cols = (TaskRef.unit_id, TaskRef.task_id, TaskRef.title, TaskRef.due_date, TaskRef.issuer_unit_id)
    order = (col(TaskRef.due_date), col(TaskRef.title), col(TaskRef.task_id))
    notices: list[Notification] = []
    for lo in range(0, len(unit_ids), UNITS_PER_CHUNK):
        these = sa.and_(untold, which, col(TaskRef.unit_id).in_(list(unit_ids[lo:lo + UNITS_PER_CHUNK])))
        per_unit: dict[str, list[sa.Row[Any]]] = defaultdict(list)
        for r in (await session.execute(sa.select(*cols).where(these).order_by(*order))).all():
            per_unit[r.unit_id].append(r)
        if not per_unit:
            continue
        names = await unit_names(session=session, ids={r.issuer_unit_id for rows in per_unit.values() for r in rows})
        items = [_digest(unit_id, rows, names, heading=heading, plan_id=plan_id) for unit_id, rows in per_unit.items()]
        del per_unit
        notices += await add_notifications(uow=uow, event_id=event_id, items=items)
        await session.exec(sa.update(TaskRef).where(these).values(digest_id=event_id))  # type: ignore[call-overload]
    return notices


def _digest(unit_id: str, rows: Sequence[sa.Row[Any]], names: dict[str, str], *, heading: str, plan_id: str) -> dict[str, Any]:
    """The digest notice of one unit's untold tasks (rows in listing order)."""
    n = len(rows)
    who = {names.get(r.issuer_unit_id or "", "上级单位") for r in rows}
    issuer = who.pop() if len(who) == 1 else "上级单位"
    return {
        "unit_id": unit_id, "kind": "tasks_assigned", "title": f"新任务{n}项：{heading}",
        "body": f"{issuer}下达《{heading}》任务{n}项，请及时签收并按期办理：\n{_lines(rows, n)}",
        "task_id": rows[0].task_id if n == 1 else None, "plan_id": plan_id,
    }


async def withdrawn_digest(*, uow: UnitOfWork, event: TasksWithdrawn, event_id: str) -> list[Notification]:
    """One notice per unit whose tasks a batch withdrew, listing them."""
    refs = (await uow.session.exec(select(TaskRef).where(col(TaskRef.task_id).in_(event.task_ids)))).all()
    per_unit: dict[str, list[TaskRef]] = defaultdict(list)
    for r in refs:
        per_unit[r.unit_id].append(r)
    why = f"原因：{event.reason}。" if event.reason else ""
    items = [
        {"unit_id": unit_id, "kind": "tasks_withdrawn", "title": f"任务撤回{len(rs)}项",
         "body": f"以下任务已撤回，无需继续办理。{why}\n" + _lines(rs, len(rs)),
         "task_id": rs[0].task_id if len(rs) == 1 else None, "plan_id": event.plan_id}
        for unit_id, rs in per_unit.items()
    ]
    return await add_notifications(uow=uow, event_id=event_id, items=items)
