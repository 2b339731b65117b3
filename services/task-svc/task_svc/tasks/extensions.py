"""延期申请: the unit asks for a later date; the issuing level grants it (moving the due dates) or refuses."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import select

from duban_shared.auth import Principal
from duban_shared.clock import business_today, clock
from duban_shared.errors import AppError
from duban_shared.events.catalogue import TaskDueChanged, TaskExtensionDecided, TaskExtensionRequested
from duban_shared.uow import UnitOfWork
from task_svc.deadlines.service import refresh_warning
from task_svc.tasks.actions import entry, load, record
from task_svc.tasks.lifecycle import CLOSED
from task_svc.tasks.models import ExtensionRequest, Task
from task_svc.tasks.service import event_fields, pending_extension


async def request_extension(*, uow: UnitOfWork, task_id: str, actor: Principal, due_date: date, reason: str) -> Task:
    """Ask for a later due date; one open request per task."""
    task, _ = await load(uow=uow, task_id=task_id, actor=actor, action="extension")
    if await pending_extension(session=uow.session, task_id=task.id) is not None:
        raise AppError(409, "extension_pending", "已有一份延期申请等待审批，请勿重复申请")
    if due_date < business_today() or (task.due_date is not None and due_date <= task.due_date):
        raise AppError(422, "bad_due_date", "申请的日期须晚于当前截止日期且不早于今天")
    req = ExtensionRequest(id=str(uuid.uuid4()), task_id=task.id, requested_due=due_date, previous_due=task.due_date, reason=reason,
                           requested_by=actor.username, requested_unit_id=actor.unit_id, created_at=clock.now())
    uow.session.add(req)
    return await record(uow=uow, task=task, actor=actor, to=None, event=TaskExtensionRequested, note=reason,
                        data={"request_id": req.id, "requested_due": due_date.isoformat()},
                        request_id=req.id, requested_due=due_date, reason=reason, due_date=task.due_date)


async def _descendants(uow: UnitOfWork, task: Task) -> list[Task]:
    """Open tasks below this one (children, grandchildren …), found level by level."""
    out: list[Task] = []
    frontier = [task.id]
    while frontier:
        rows = list((await uow.session.exec(select(Task).where(Task.parent_id.in_(frontier)))).all())  # type: ignore[union-attr]
        out += [t for t in rows if t.status not in CLOSED]
        frontier = [t.id for t in rows]
    return out


async def decide_extension(*, uow: UnitOfWork, task_id: str, actor: Principal, approve: bool, note: str) -> Task:
    """Grant or refuse the open request; a grant moves the due date, and the children that shared the old one."""
    task, _ = await load(uow=uow, task_id=task_id, actor=actor, action="extension_decide")
    req = await pending_extension(session=uow.session, task_id=task.id)
    if req is None:
        raise AppError(409, "no_extension_pending", "此任务没有待审批的延期申请")
    req.status, req.decided_by, req.decision_note, req.decided_at = ("approved" if approve else "refused"), actor.username, note, clock.now()
    uow.session.add(req)
    old = task.due_date
    if approve:
        task.due_date = req.requested_due
        # A child due on or after the parent's old date was following it: it moves with the parent.
        # Children due earlier keep their own date (the issuer left itself time to check their work).
        for child in await _descendants(uow, task):
            if child.due_date is None or old is None or child.due_date >= old:
                before = child.due_date
                child.due_date = req.requested_due
                child.updated_at = clock.now()
                uow.session.add(child)
                uow.session.add(entry(child, actor, "due_changed", child.status, note=f"上级任务延期获批，截止日期由 {before} 调整为 {child.due_date}"))
                await uow.emit(TaskDueChanged(**event_fields(child, actor.username, actor), title=child.title, due_date=child.due_date))  # type: ignore[arg-type]
                await refresh_warning(uow=uow, task=child, actor=actor.username)
    verdict = "同意" if approve else "不同意"
    return await record(uow=uow, task=task, actor=actor, to=None, event=TaskExtensionDecided, note=note or verdict,
                        data={"request_id": req.id, "approved": approve, "previous_due": old.isoformat() if old else None,
                              "due_date": task.due_date.isoformat() if task.due_date else None},
                        request_id=req.id, approved=approve, reason=note, due_date=task.due_date)
