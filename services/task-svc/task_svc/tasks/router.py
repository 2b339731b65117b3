"""/api/tasks: lists, one task, and every lifecycle action (each answers the updated task)."""

from typing import Literal

from fastapi import APIRouter, Query

from duban_shared.app import SessionDep, UowDep
from duban_shared.auth import CurrentUser
from task_svc.reminders import service as reminders
from task_svc.tasks import actions, extensions, service, views
from task_svc.tasks.schemas import (
    BulkRemindRequest,
    BulkRemindResult,
    ExtensionDecision,
    ExtensionRequestBody,
    NoteRequest,
    ProgressRequest,
    ReasonRequest,
    ReassignRequest,
    RemindRequest,
    ReportPublic,
    Status,
    SubmitRequest,
    TaskDetail,
    TaskPage,
    Warning,
)

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


def _id() -> object:
    # One Query per parameter: FastAPI binds a shared instance's alias to the first parameter that uses it.
    return Query(default=None, max_length=36)


@router.get("", response_model=TaskPage)
async def list_tasks(
    session: SessionDep, user: CurrentUser, plan_id: str | None = _id(), level: Literal["city", "district", "school"] | None = None,
    status: Status | None = None, warning: Warning | None = None, unit_id: str | None = _id(), parent_id: str | None = _id(),
    sort: Literal["created", "due_date", "-due_date"] = "created",
    limit: int = Query(default=50, ge=1, le=500), offset: int = Query(default=0, ge=0, le=1_000_000),
) -> TaskPage:
    """Tasks the caller may see; filters narrow, never widen."""
    rows, total = await service.list_tasks(session=session, user=user, plan_id=plan_id, level=level, status=status, warning=warning,
                                           unit_id=unit_id, parent_id=parent_id, sort=sort, limit=limit, offset=offset)
    return TaskPage(**await views.page(session, rows, total))  # type: ignore[arg-type]


@router.post("/remind", response_model=BulkRemindResult, status_code=202)
async def remind_many(body: BulkRemindRequest, uow: UowDep, user: CurrentUser) -> BulkRemindResult:
    """批量催办: every unacknowledged or overdue task under a parent or across a plan that the caller may remind."""
    result = await reminders.remind_many(uow=uow, actor=user, filter=body.filter, message=body.message, plan_id=body.plan_id, parent_id=body.parent_id)
    return BulkRemindResult(**result)


@router.get("/{task_id}", response_model=TaskDetail)
async def get_task(task_id: str, session: SessionDep, user: CurrentUser) -> TaskDetail:
    """One task with its latest report, roll-up and timeline."""
    return await views.detail(session, await service.get_task(session=session, task_id=task_id, user=user))


@router.get("/{task_id}/reports", response_model=list[ReportPublic])
async def list_reports(task_id: str, session: SessionDep, user: CurrentUser) -> list[ReportPublic]:
    """Every progress report of the task, newest first."""
    task = await service.get_task(session=session, task_id=task_id, user=user)
    return [views.report_public(r) for r in await service.reports(session=session, task_id=task.id)]


@router.post("/{task_id}/acknowledge", response_model=TaskDetail)
async def acknowledge(task_id: str, uow: UowDep, user: CurrentUser) -> TaskDetail:
    """签收 (idempotent)."""
    return await views.detail(uow.session, await actions.acknowledge(uow=uow, task_id=task_id, actor=user))


@router.post("/{task_id}/progress", response_model=TaskDetail, status_code=201)
async def progress(task_id: str, body: ProgressRequest, uow: UowDep, user: CurrentUser) -> TaskDetail:
    """填报进展."""
    task = await actions.report_progress(uow=uow, task_id=task_id, actor=user, percent=body.percent, note=body.note,
                                         indicator_values=[v.model_dump(exclude_none=True) for v in body.indicator_values],
                                         evidence_ids=body.evidence_ids)
    return await views.detail(uow.session, task)


@router.post("/{task_id}/submit", response_model=TaskDetail)
async def submit(task_id: str, uow: UowDep, user: CurrentUser, body: SubmitRequest | None = None) -> TaskDetail:
    """提交."""
    task = await actions.submit(uow=uow, task_id=task_id, actor=user, summary=(body or SubmitRequest()).summary)
    return await views.detail(uow.session, task)


@router.post("/{task_id}/approve", response_model=TaskDetail)
async def approve(task_id: str, uow: UowDep, user: CurrentUser, body: NoteRequest | None = None) -> TaskDetail:
    """验收通过 (the issuing level)."""
    task = await actions.approve(uow=uow, task_id=task_id, actor=user, note=(body or NoteRequest()).note)
    return await views.detail(uow.session, task)


@router.post("/{task_id}/return", response_model=TaskDetail)
async def return_task(task_id: str, body: ReasonRequest, uow: UowDep, user: CurrentUser) -> TaskDetail:
    """退回 with a reason (the issuing level)."""
    return await views.detail(uow.session, await actions.return_task(uow=uow, task_id=task_id, actor=user, reason=body.reason))


@router.post("/{task_id}/decline", response_model=TaskDetail)
async def decline(task_id: str, body: ReasonRequest, uow: UowDep, user: CurrentUser) -> TaskDetail:
    """拒收 with a reason (the task's unit)."""
    return await views.detail(uow.session, await actions.decline(uow=uow, task_id=task_id, actor=user, reason=body.reason))


@router.post("/{task_id}/reassign", response_model=TaskDetail)
async def reassign(task_id: str, body: ReassignRequest, uow: UowDep, user: CurrentUser) -> TaskDetail:
    """改派 a declined task to another unit (the issuing level); answers the old task, linked to the new."""
    task = await actions.reassign(uow=uow, task_id=task_id, actor=user, unit_id=body.unit_id, reason=body.reason)
    return await views.detail(uow.session, task)


@router.post("/{task_id}/withdraw", response_model=TaskDetail)
async def withdraw(task_id: str, body: ReasonRequest, uow: UowDep, user: CurrentUser) -> TaskDetail:
    """撤回 (the issuing level)."""
    return await views.detail(uow.session, await actions.withdraw(uow=uow, task_id=task_id, actor=user, reason=body.reason))


@router.post("/{task_id}/extension", response_model=TaskDetail, status_code=201)
async def request_extension(task_id: str, body: ExtensionRequestBody, uow: UowDep, user: CurrentUser) -> TaskDetail:
    """延期申请 (the task's unit)."""
    task = await extensions.request_extension(uow=uow, task_id=task_id, actor=user, due_date=body.due_date, reason=body.reason)
    return await views.detail(uow.session, task)


@router.post("/{task_id}/extension/decide", response_model=TaskDetail)
async def decide_extension(task_id: str, body: ExtensionDecision, uow: UowDep, user: CurrentUser) -> TaskDetail:
    """延期审批 (the issuing level)."""
    task = await extensions.decide_extension(uow=uow, task_id=task_id, actor=user, approve=body.approve, note=body.note)
    return await views.detail(uow.session, task)


@router.post("/{task_id}/remind", response_model=TaskDetail)
async def remind(task_id: str, uow: UowDep, user: CurrentUser, body: RemindRequest | None = None) -> TaskDetail:
    """催办 one task (the issuing level or above), within the daily cap."""
    task = await reminders.remind(uow=uow, task_id=task_id, actor=user, message=(body or RemindRequest()).message)
    return await views.detail(uow.session, task)
