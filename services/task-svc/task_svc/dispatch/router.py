"""POST /api/tasks/{id}/dispatch (转派)."""

from fastapi import APIRouter, Path
from sqlmodel import col, select

from duban_shared.app import UowDep
from duban_shared.auth import CurrentUser
from task_svc.directory.models import Unit
from task_svc.dispatch import service
from task_svc.dispatch.schemas import DispatchRequest, DispatchResult
from task_svc.tasks.schemas import TaskPublic
from task_svc.tasks.service import warning_for

router = APIRouter(prefix="/api/tasks", tags=["dispatch"])


@router.post("/{task_id}/dispatch", response_model=DispatchResult, status_code=201)
async def dispatch(body: DispatchRequest, uow: UowDep, user: CurrentUser, task_id: str = Path(max_length=36)) -> DispatchResult:
    """A district gives its schools tasks under its own district task."""
    tasks = await service.redispatch(uow=uow, task_id=task_id, actor=user, school_ids=body.school_ids, school_types=body.school_types,
                                     everyone=body.everyone, due_date=body.due_date)
    names = dict((await uow.session.exec(select(Unit.id, Unit.name).where(col(Unit.id).in_({t.unit_id for t in tasks})))).all())
    items = [TaskPublic(**t.model_dump(), unit_name=names.get(t.unit_id), warning=warning_for(t)) for t in tasks]  # type: ignore[arg-type]
    return DispatchResult(created=len(items), items=items)
