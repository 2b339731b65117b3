"""POST /api/tasks/resnapshot (administrators) and GET /api/tasks/counts (city staff)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from duban_shared.app import SessionDep, UowDep
from duban_shared.auth import CurrentUser
from duban_shared.errors import forbidden
from task_svc.snapshots import service
from task_svc.snapshots.schemas import PlanCounts, ResnapshotRequest, ResnapshotResult

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


@router.post("/resnapshot", status_code=202, response_model=ResnapshotResult)
async def resnapshot(uow: UowDep, user: CurrentUser, body: ResnapshotRequest | None = None) -> ResnapshotResult:
    """Re-emit current task state as tasks.snapshotted batches, so read models can rebuild."""
    if not user.is_admin:
        raise forbidden("只有系统管理员可以重新发布任务快照")
    return await service.resnapshot(uow=uow, plan_id=body.plan_id if body else None)


@router.get("/counts", response_model=PlanCounts)
async def counts(session: SessionDep, user: CurrentUser, plan_id: str = Query(min_length=1, max_length=36)) -> PlanCounts:
    """Task counts of a plan by district, level and status (the consistency check's reference)."""
    if not (user.is_admin or user.has("city") or user.has("plan_admin")):
        raise forbidden("只有市教育局可以查看任务统计")
    return await service.plan_counts(session=session, plan_id=plan_id)
