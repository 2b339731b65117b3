"""GET /api/tasks, GET /api/tasks/{id}, POST /api/tasks/{id}/acknowledge."""

from typing import Literal

from fastapi import APIRouter, Query
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.app import CtxDep, SessionDep
from duban_shared.auth import CurrentUser
from task_svc.directory.models import Unit
from task_svc.tasks import service
from task_svc.tasks.models import Task
from task_svc.tasks.schemas import TaskDetail, TaskPage, TaskPublic, TimelineEntry

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


async def _unit_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = (await session.exec(select(Unit.id, Unit.name).where(Unit.id.in_(ids)))).all()  # type: ignore[attr-defined]
    return {i: n for i, n in rows}


def _public(t: Task, names: dict[str, str]) -> dict[str, object]:
    return {**t.model_dump(), "unit_name": names.get(t.unit_id), "warning": service.warning_for(t)}


async def _detail(session: AsyncSession, t: Task) -> TaskDetail:
    names = await _unit_names(session, {t.unit_id})
    entries = await service.timeline(session=session, task_id=t.id)
    return TaskDetail(**_public(t, names), timeline=[TimelineEntry.model_validate(e, from_attributes=True) for e in entries])


@router.get("", response_model=TaskPage)
async def list_tasks(
    session: SessionDep, user: CurrentUser,
    plan_id: str | None = Query(default=None, max_length=36),
    level: Literal["city", "district", "school"] | None = None,
    status: Literal["assigned", "acknowledged", "in_progress", "submitted", "completed", "returned", "declined"] | None = None,
    unit_id: str | None = Query(default=None, max_length=36),
    parent_id: str | None = Query(default=None, max_length=36),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> TaskPage:
    """Tasks the caller may see."""
    rows, total = await service.list_tasks(session=session, user=user, plan_id=plan_id, level=level, status=status,
                                           unit_id=unit_id, parent_id=parent_id, limit=limit, offset=offset)
    names = await _unit_names(session, {t.unit_id for t in rows})
    return TaskPage(items=[TaskPublic(**_public(t, names)) for t in rows], total=total)


@router.get("/{task_id}", response_model=TaskDetail)
async def get_task(task_id: str, session: SessionDep, user: CurrentUser) -> TaskDetail:
    """One task with its timeline."""
    return await _detail(session, await service.get_task(session=session, task_id=task_id, user=user))


@router.post("/{task_id}/acknowledge", response_model=TaskDetail)
async def acknowledge(task_id: str, session: SessionDep, ctx: CtxDep, user: CurrentUser) -> TaskDetail:
    """签收 (idempotent)."""
    task = await service.acknowledge(session=session, outbox=ctx.outbox, task_id=task_id, actor=user)
    return await _detail(session, task)
