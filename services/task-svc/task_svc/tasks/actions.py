"""Task actions: each asks lifecycle.check(), writes one immutable timeline entry and emits its event; none commits."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlmodel import select

from duban_shared.auth import Principal
from duban_shared.clock import clock
from duban_shared.errors import AppError, not_found
from duban_shared.events import IntegrationEvent
from duban_shared.events.catalogue import (
    AssignedTask,
    TaskAcknowledged,
    TaskApproved,
    TaskDeclined,
    TaskEvent,
    TaskProgressReported,
    TaskReassigned,
    TaskReturned,
    TasksAssigned,
    TaskSubmitted,
    TaskWithdrawn,
)
from duban_shared.uow import UnitOfWork
from task_svc.deadlines.service import refresh_warning
from task_svc.directory.models import Unit
from task_svc.evidence.models import EvidenceFile
from task_svc.tasks.lifecycle import GONE, check, is_noop, rule
from task_svc.tasks.models import ProgressReport, Task, TaskEntry
from task_svc.tasks.permissions import roles_for
from task_svc.tasks.service import event_fields, get_task

LEVEL_OF_KIND = {"department": "city", "district": "district", "school": "school"}


async def load(*, uow: UnitOfWork, task_id: str, actor: Principal, action: str) -> tuple[Task, str | None]:
    """The task (locked for the change) and the status the action leads to; 404/403/409 otherwise."""
    task = await get_task(session=uow.session, task_id=task_id, user=actor, lock=True)
    to = check(action, task.status, await roles_for(uow.session, actor, task, rule(action).actors))
    return task, to


def entry(task: Task, actor: Principal, action: str, before: str | None, *, note: str = "", data: Any = None,
          attachments: list[str] | None = None) -> TaskEntry:
    """A timeline entry: who (person and unit), when, from, to, why, attachments."""
    return TaskEntry(task_id=task.id, action=action, actor=actor.username, actor_name=getattr(actor, "display_name", None),
                     actor_unit_id=actor.unit_id, from_status=before, to_status=task.status, note=note,
                     data=json.dumps(data, ensure_ascii=False) if data is not None else "", attachments=json.dumps(attachments or []),
                     at=clock.now())


async def record(*, uow: UnitOfWork, task: Task, actor: Principal, to: str | None, event: type[TaskEvent], note: str = "",
                 data: Any = None, attachments: list[str] | None = None, **event_fields_extra: Any) -> Task:
    """Apply a transition: status, timeline entry, event, then the warning level it implies."""
    before = task.status
    if to is not None:
        task.status = to
    task.updated_at = clock.now()
    uow.session.add(task)
    uow.session.add(entry(task, actor, event.TYPE.split(".", 1)[1], before, note=note, data=data, attachments=attachments))
    await uow.emit(event(**event_fields(task, actor.username, actor), **event_fields_extra))
    await refresh_warning(uow=uow, task=task, actor=actor.username)
    return task


async def acknowledge(*, uow: UnitOfWork, task_id: str, actor: Principal) -> Task:
    """签收: the task's unit signs for it; repeating it changes nothing."""
    task, to = await load(uow=uow, task_id=task_id, actor=actor, action="acknowledge")
    if is_noop("acknowledge", task.status):
        return task
    return await record(uow=uow, task=task, actor=actor, to=to, event=TaskAcknowledged)


async def _claim_evidence(uow: UnitOfWork, task: Task, ids: list[str], report_id: str) -> None:
    if not ids:
        return
    files = {f.id: f for f in (await uow.session.exec(select(EvidenceFile).where(EvidenceFile.id.in_(ids)))).all()}  # type: ignore[attr-defined]
    for fid in ids:
        f = files.get(fid)
        if f is None or f.task_id != task.id:
            raise AppError(422, "unknown_evidence", f"佐证材料 {fid} 不存在或不属于此任务，请先上传")
        if f.report_id is not None:
            raise AppError(422, "evidence_used", f"佐证材料「{f.name}」已用于另一次填报")
        f.report_id = report_id
        uow.session.add(f)


async def report_progress(*, uow: UnitOfWork, task_id: str, actor: Principal, percent: int, note: str,
                          indicator_values: list[dict[str, Any]], evidence_ids: list[str]) -> Task:
    """填报: keep the report, show it as the task's latest, attach evidence uploaded before."""
    task, to = await load(uow=uow, task_id=task_id, actor=actor, action="progress")
    if len(set(evidence_ids)) != len(evidence_ids):
        raise AppError(422, "duplicate_evidence", "同一佐证材料不能重复引用")
    report = ProgressReport(id=str(uuid.uuid4()), task_id=task.id, percent=percent, note=note,
                            indicator_values=json.dumps(indicator_values, ensure_ascii=False), evidence_ids=json.dumps(evidence_ids),
                            actor=actor.username, actor_name=getattr(actor, "display_name", None), actor_unit_id=actor.unit_id, at=clock.now())
    await _claim_evidence(uow, task, evidence_ids, report.id)
    uow.session.add(report)
    task.percent = percent
    task.indicator_values = report.indicator_values
    return await record(uow=uow, task=task, actor=actor, to=to, event=TaskProgressReported, note=note,
                        data={"report_id": report.id, "percent": percent, "indicator_values": indicator_values},
                        attachments=evidence_ids, percent=percent, indicator_values=indicator_values)


async def submit(*, uow: UnitOfWork, task_id: str, actor: Principal, summary: str) -> Task:
    """提交 for the issuing level's approval."""
    task, to = await load(uow=uow, task_id=task_id, actor=actor, action="submit")
    return await record(uow=uow, task=task, actor=actor, to=to, event=TaskSubmitted, note=summary, summary=summary)


async def approve(*, uow: UnitOfWork, task_id: str, actor: Principal, note: str = "") -> Task:
    """验收通过: the issuing level accepts the submission."""
    task, to = await load(uow=uow, task_id=task_id, actor=actor, action="approve")
    task.percent = 100
    return await record(uow=uow, task=task, actor=actor, to=to, event=TaskApproved, note=note)


async def return_task(*, uow: UnitOfWork, task_id: str, actor: Principal, reason: str) -> Task:
    """退回 with a reason the unit sees until it reports or submits again."""
    task, to = await load(uow=uow, task_id=task_id, actor=actor, action="return")
    return await record(uow=uow, task=task, actor=actor, to=to, event=TaskReturned, note=reason, reason=reason)


async def decline(*, uow: UnitOfWork, task_id: str, actor: Principal, reason: str) -> Task:
    """拒收: the unit says the task is not its responsibility; the issuer reassigns or withdraws it."""
    task, to = await load(uow=uow, task_id=task_id, actor=actor, action="decline")
    return await record(uow=uow, task=task, actor=actor, to=to, event=TaskDeclined, note=reason, reason=reason)


async def withdraw(*, uow: UnitOfWork, task_id: str, actor: Principal, reason: str) -> Task:
    """撤回: the issuing level takes the task back; it no longer counts."""
    task, to = await load(uow=uow, task_id=task_id, actor=actor, action="withdraw")
    return await record(uow=uow, task=task, actor=actor, to=to, event=TaskWithdrawn, note=reason, reason=reason)


async def _replacement_unit(uow: UnitOfWork, task: Task, unit_id: str) -> Unit:
    unit = await uow.session.get(Unit, unit_id)
    old = await uow.session.get(Unit, task.unit_id)
    if unit is None or not unit.active:
        raise not_found("单位")
    if unit.id == task.unit_id:
        raise AppError(422, "same_unit", "改派的单位不能是原承办单位")
    if old is None or unit.kind != old.kind or unit.parent_id != old.parent_id or LEVEL_OF_KIND.get(unit.kind) != task.level:
        raise AppError(422, "unit_out_of_scope", "只能改派给与原承办单位同级、同一上级的单位")
    clash = select(Task.id).where(Task.plan_id == task.plan_id, Task.item_id == task.item_id, Task.parent_id == task.parent_id,
                                  Task.unit_id == unit.id, Task.status.not_in(GONE))  # type: ignore[attr-defined]
    if (await uow.session.exec(clash)).first() is not None:
        raise AppError(409, "already_assigned", f"{unit.name}已有此项任务")
    return unit


async def reassign(*, uow: UnitOfWork, task_id: str, actor: Principal, unit_id: str, reason: str) -> Task:
    """改派: a declined task goes to another unit as a new task; the old one links to it."""
    task, to = await load(uow=uow, task_id=task_id, actor=actor, action="reassign")
    unit = await _replacement_unit(uow, task, unit_id)
    now = clock.now()
    new = Task(id=str(uuid.uuid4()), plan_id=task.plan_id, plan_version=task.plan_version, item_id=task.item_id, parent_id=task.parent_id,
               level=task.level, unit_id=unit.id, issuer_unit_id=task.issuer_unit_id, title=task.title, body=task.body,
               due_date=task.due_date, root_id=task.root_id, origin="reassigned", created_at=now, updated_at=now)
    uow.session.add(new)
    uow.session.add(entry(new, actor, "created", None, note=f"由原承办单位拒收后改派：{reason}", data={"reassigned_from": task.id}))
    batch: IntegrationEvent = TasksAssigned(
        plan_id=task.plan_id, plan_version=task.plan_version, item_id=task.item_id, parent_id=task.parent_id, title=task.title,
        reason="reassigned", actor=actor.username, at=now,
        tasks=[AssignedTask(task_id=new.id, unit_id=unit.id, level=new.level, parent_id=new.parent_id,  # type: ignore[arg-type]
                            issuer_unit_id=new.issuer_unit_id, due_date=new.due_date)])
    await uow.emit(batch)
    task.reassigned_to = new.id
    await record(uow=uow, task=task, actor=actor, to=to, event=TaskReassigned, note=reason, data={"new_task_id": new.id, "new_unit_id": unit.id},
                 reason=reason, new_task_id=new.id, new_unit_id=unit.id)
    await refresh_warning(uow=uow, task=new, actor=actor.username)
    return task
