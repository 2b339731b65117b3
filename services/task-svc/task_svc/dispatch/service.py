"""Re-dispatch (转派) by a district, its withdrawal, and following directory changes after publication."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import col, select

from duban_shared.auth import Principal
from duban_shared.errors import AppError, forbidden
from duban_shared.events import utcnow
from duban_shared.events.catalogue import PlanItemSnapshot, TaskWithdrawn
from duban_shared.uow import UnitOfWork
from task_svc.directory.models import Unit
from task_svc.dispatch.models import DispatchItem
from task_svc.tasks.breakdown import Org, Planned, PlanRef, load_org, task_id_for, wanted_tree
from task_svc.tasks.bulk import CLOSED, TASKS, ItemInfo, emit_assigned, entries, insert_tasks, withdraw
from task_svc.tasks.models import Task
from task_svc.tasks.service import event_fields, get_task

DIRECTORY_ACTOR = "directory"


async def _task_for(uow: UnitOfWork, task_id: str, actor: Principal) -> Task:
    return await get_task(session=uow.session, task_id=task_id, user=actor)


async def redispatch(*, uow: UnitOfWork, task_id: str, actor: Principal, school_ids: list[str] | None = None,
                     school_types: list[str] | None = None, everyone: bool = False, due_date: date | None = None) -> list[Task]:
    """转派: a district gives school tasks under its own task to schools it chooses; returns the tasks made (or reopened)."""
    parent = await _task_for(uow, task_id, actor)
    if not actor.is_admin and actor.unit_id != parent.unit_id:
        raise forbidden("只有承办该任务的区县教育局可以转派")
    if parent.level != "district":
        raise AppError(422, "not_dispatchable", "只有区县任务可以转派给学校")
    if parent.status in CLOSED:
        raise AppError(409, "task_closed", "任务已办结或已撤回，不能再转派")
    due = due_date or parent.due_date
    if due is not None and parent.due_date is not None and due > parent.due_date:
        raise AppError(422, "due_after_parent", f"下级任务的完成时限不能晚于本任务（{parent.due_date.isoformat()}）")
    schools = await _chosen_schools(uow, parent.unit_id, school_ids, school_types, everyone)
    planned = [Planned(task_id_for(parent.plan_id, parent.item_id or parent.id, s.id, "school"), "school", s.id, parent.unit_id,
                       parent.id, parent.root_id or parent.id, due) for s in schools]
    have = {r.id: r.status for r in (await uow.session.execute(
        sa.select(TASKS.c.id, TASKS.c.status).where(TASKS.c.id.in_([p.id for p in planned])))).all()}
    new = [p for p in planned if p.id not in have]
    reopen = [p for p in planned if have.get(p.id) == "withdrawn"]
    info = ItemInfo(parent.plan_id, parent.plan_version, parent.item_id or parent.id, parent.title, parent.body, actor.username)
    await insert_tasks(uow, info, new, origin="redispatched", note="区县教育局转派")
    if reopen:
        now = utcnow()
        for p in reopen:
            await uow.session.execute(sa.update(TASKS).where(TASKS.c.id == p.id).values(
                status="assigned", due_date=p.due_date, parent_id=p.parent_id, issuer_unit_id=p.issuer_unit_id, origin="redispatched",
                updated_at=now))
        await entries(uow, (p.id for p in reopen), "reopened", actor.username, "withdrawn", "assigned", "区县教育局重新转派", now)
    await emit_assigned(uow, info, new + reopen, reason="redispatched", fixed_ids=False)
    ids = [p.id for p in new + reopen]
    if not ids:
        return []
    uow.session.expire_all()
    rows = (await uow.session.exec(select(Task).where(col(Task.id).in_(ids)))).all()
    return sorted(rows, key=lambda t: ids.index(t.id))


async def _chosen_schools(uow: UnitOfWork, district_id: str, school_ids: list[str] | None, school_types: list[str] | None,
                          everyone: bool) -> list[Unit]:
    mine = list((await uow.session.exec(select(Unit).where(Unit.kind == "school", Unit.parent_id == district_id, Unit.active == True)
                                        .order_by(Unit.code))).all())
    if school_ids is not None:
        by_id = {u.id: u for u in mine}
        outside = [i for i in school_ids if i not in by_id]
        if outside:
            known = (await uow.session.exec(select(Unit.id).where(col(Unit.id).in_(outside), Unit.kind == "school"))).all()
            if known:
                raise forbidden("只能转派给本区县的学校")
            raise AppError(422, "unknown_school", f"学校不存在或已停用：{'、'.join(outside[:5])}")
        chosen = [by_id[i] for i in dict.fromkeys(school_ids)]
    elif school_types is not None:
        chosen = [u for u in mine if u.school_type in set(school_types)]
    else:
        chosen = mine if everyone else []
    if not chosen:
        raise AppError(422, "no_schools", "没有符合条件的在册学校")
    return chosen


async def withdraw_redispatched(*, uow: UnitOfWork, task_id: str, actor: Principal, reason: str = "") -> Task:
    """撤回 a re-dispatched school task while it is open: only the district that issued it (or the city administrator)."""
    task = await _task_for(uow, task_id, actor)
    if task.origin != "redispatched":
        raise AppError(409, "not_redispatched", "该任务不是区县转派的任务")
    if not actor.is_admin and actor.unit_id != task.issuer_unit_id:
        raise forbidden("只有转派该任务的区县教育局可以撤回")
    if task.status in CLOSED or task.status == "submitted":
        raise AppError(409, "task_closed", "任务已提交、办结或已撤回，不能撤回")
    now = utcnow()
    before = task.status
    task.status, task.updated_at = "withdrawn", now
    uow.session.add(task)
    await entries(uow, [task.id], "withdrawn", actor.username, before, "withdrawn", reason or "区县教育局撤回转派", now)
    await uow.emit(TaskWithdrawn(**event_fields(task, actor.username), reason=reason, actor_unit_id=actor.unit_id))  # type: ignore[arg-type]
    return task


@dataclass(frozen=True)
class UnitState:
    """A unit as it was before a directory change."""

    active: bool
    school_type: str | None
    parent_id: str | None


async def follow_directory(*, uow: UnitOfWork, changed: list[Unit], before: dict[str, UnitState | None]) -> tuple[int, int]:
    """After a directory change: withdraw closed schools' open tasks; give new schools the open items. Returns (withdrawn, joined)."""
    schools = [u for u in changed if u.kind == "school"]
    gone = [u.id for u in schools if not u.active and (before.get(u.id) is None or before[u.id].active)]  # type: ignore[union-attr]
    joined = [u for u in schools if u.active and ((b := before.get(u.id)) is None or not b.active or b.school_type != u.school_type
                                                  or b.parent_id != u.parent_id)]
    n_gone = await _withdraw_closed(uow, gone) if gone else 0
    n_joined = await _late_join(uow, joined) if joined else 0
    return n_gone, n_joined


async def _withdraw_closed(uow: UnitOfWork, unit_ids: list[str]) -> int:
    q = sa.select(TASKS.c.id, TASKS.c.plan_id).where(TASKS.c.unit_id.in_(unit_ids), TASKS.c.status.not_in(CLOSED))
    by_plan: dict[str, list[str]] = {}
    for tid, plan in (await uow.session.execute(q)).all():
        by_plan.setdefault(plan, []).append(tid)
    n = 0
    for plan, ids in by_plan.items():
        n += await withdraw(uow, plan_id=plan, version=None, task_ids=ids, reason="学校已在名录中停用，任务撤回", actor=DIRECTORY_ACTOR)
    return n


async def _late_join(uow: UnitOfWork, joined: list[Unit]) -> int:
    items = (await uow.session.exec(select(DispatchItem).where(DispatchItem.removed == False))).all()
    if not items:
        return 0
    org = await load_org(uow.session)
    if org is None:
        return 0
    ids = {u.id for u in joined}
    n = 0
    for it in items:
        item = PlanItemSnapshot.model_validate_json(it.snapshot)
        if not (set(item.targets.school_types) & {u.school_type for u in joined} or set(item.targets.units) & (ids | {u.code for u in joined})):
            continue
        n += await _join_item(uow, org, it, item, ids)
    return n


async def _join_item(uow: UnitOfWork, org: Org, it: DispatchItem, item: PlanItemSnapshot, ids: set[str]) -> int:
    ref = PlanRef(it.plan_id, it.plan_version, DIRECTORY_ACTOR, it.default_deadline)
    tree = wanted_tree(item, ref, org)
    wanted = [p for p in tree.all() if p.unit_id in ids and p.level == "school"]
    if not wanted:
        return 0
    by_id = {p.id: p for p in tree.all()}
    need = {p.id for p in wanted} | {p.parent_id for p in wanted if p.parent_id} | {p.root_id for p in wanted}
    status = {r.id: r.status for r in (await uow.session.execute(sa.select(TASKS.c.id, TASKS.c.status).where(TASKS.c.id.in_(need)))).all()}
    root = wanted[0].root_id
    if status.get(root) in (None, *CLOSED):
        return 0  # the item is no longer open: nothing to join
    new: list[Planned] = []
    for p in wanted:
        if p.id in status:
            continue
        if p.parent_id not in status and p.parent_id in by_id and by_id[p.parent_id].level == "district":
            new.append(by_id[p.parent_id])  # a new district's own task comes first
            status[p.parent_id] = "assigned"
        if status.get(p.parent_id) in CLOSED:
            continue
        new.append(p)
    new = list(dict.fromkeys(new))
    info = ItemInfo(it.plan_id, it.plan_version, it.item_id, item.title, item.body, DIRECTORY_ACTOR)
    await insert_tasks(uow, info, new, origin="late_joined", late=True, note="新纳入名录的学校补发当前计划任务")
    await emit_assigned(uow, info, new, reason="late_joined", late=True, fixed_ids=False)
    return len(new)
