"""Store batched tasks set-based; build one notice per unit for a plan version's new (or withdrawn) tasks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import col, select

from duban_shared.events.catalogue import PlanDispatched, TasksAssigned, TasksWithdrawn
from duban_shared.uow import UnitOfWork
from notify_svc.notifications.messages import due_text
from notify_svc.notifications.models import Notification, TaskRef
from notify_svc.notifications.service import add_notifications, upsert_refs
from notify_svc.units.service import unit_names

LISTED = 30  # a digest lists this many tasks by name, then counts the rest


async def store_assigned(*, uow: UnitOfWork, event: TasksAssigned) -> int:
    """Remember a batch's tasks in one INSERT … ON CONFLICT DO NOTHING; returns the batch size."""
    rows = [
        {"task_id": t.task_id, "plan_id": event.plan_id, "unit_id": t.unit_id, "issuer_unit_id": t.issuer_unit_id,
         "title": event.title[:500], "due_date": t.due_date, "level": t.level, "parent_id": t.parent_id,
         "plan_version": event.plan_version, "digest_id": None}
        for t in event.tasks
    ]
    await upsert_refs(session=uow.session, rows=rows)
    return len(rows)


def _lines(refs: Sequence[TaskRef], total: int) -> str:
    lines = [f"{i}. {r.title}（截止：{due_text(r.due_date)}）" for i, r in enumerate(refs[:LISTED], 1)]
    if total > LISTED:
        lines.append(f"……等共{total}项，请到督办系统查看全部。")
    return "\n".join(lines)


async def dispatch_digest(*, uow: UnitOfWork, event: PlanDispatched, event_id: str) -> list[Notification]:
    """One notice per unit named in the event, listing its not-yet-told tasks of the plan; marks them told."""
    session = uow.session
    wanted = {u.unit_id: u.count for u in event.units if u.count > 0}
    if not wanted:
        return []
    q = select(TaskRef).where(TaskRef.plan_id == event.plan_id, col(TaskRef.digest_id).is_(None))
    per_unit: dict[str, list[TaskRef]] = defaultdict(list)
    for r in (await session.exec(q.order_by(col(TaskRef.due_date), col(TaskRef.title)))).all():
        if r.unit_id in wanted:
            per_unit[r.unit_id].append(r)
    issuers = {r.issuer_unit_id for refs in per_unit.values() for r in refs}
    names = await unit_names(session=session, ids=issuers)
    items = []
    for unit_id, count in wanted.items():
        refs = per_unit.get(unit_id, [])
        n = len(refs) or count
        who = {names.get(r.issuer_unit_id or "", "上级单位") for r in refs}
        issuer = who.pop() if len(who) == 1 else "上级单位"
        listing = _lines(refs, n) if refs else "请到督办系统查看并签收。"
        items.append({
            "unit_id": unit_id, "kind": "tasks_assigned", "title": f"新任务{n}项：{event.title}",
            "body": f"{issuer}下达《{event.title}》任务{n}项，请及时签收并按期办理：\n{listing}",
            "task_id": refs[0].task_id if len(refs) == 1 else None, "plan_id": event.plan_id,
        })
    notices = await add_notifications(uow=uow, event_id=event_id, items=items)
    await session.exec(  # type: ignore[call-overload]
        sa.update(TaskRef).where(col(TaskRef.plan_id) == event.plan_id, col(TaskRef.digest_id).is_(None),
                                 col(TaskRef.unit_id).in_(list(wanted))).values(digest_id=event_id)
    )
    return notices


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
