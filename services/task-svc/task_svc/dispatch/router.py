"""POST /api/tasks/{id}/dispatch (转派)."""

from fastapi import APIRouter, Path

from duban_shared.app import UowDep
from duban_shared.auth import CurrentUser
from task_svc.dispatch import service
from task_svc.dispatch.schemas import DispatchRequest, DispatchResult
from task_svc.tasks.schemas import TaskPublic
from task_svc.tasks.views import public, unit_names

router = APIRouter(prefix="/api/tasks", tags=["dispatch"])


@router.post("/{task_id}/dispatch", response_model=DispatchResult, status_code=201)
async def dispatch(body: DispatchRequest, uow: UowDep, user: CurrentUser, task_id: str = Path(max_length=36)) -> DispatchResult:
    """A district gives its schools tasks under its own district task."""
    tasks = await service.redispatch(uow=uow, task_id=task_id, actor=user, school_ids=body.school_ids, school_types=body.school_types,
                                     everyone=body.everyone, due_date=body.due_date)
    names = await unit_names(uow.session, {t.unit_id for t in tasks})
    items = [TaskPublic(**public(t, names)) for t in tasks]  # type: ignore[arg-type]
    return DispatchResult(created=len(items), items=items)
