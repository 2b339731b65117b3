"""POST /api/reports/rebuild and GET …/rebuild/{request_id} (administrators); GET …/counts (the consistency check)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from duban_shared.app import CtxDep, SessionDep, UowDep
from duban_shared.auth import CurrentUser, Principal
from duban_shared.errors import forbidden
from report_svc.rebuild import service
from report_svc.rebuild.schemas import RebuildAccepted, RebuildRequest, RebuildStatus

router = APIRouter(prefix="/api/reports", tags=["reports"])
RequestId = Annotated[str, Path(min_length=1, max_length=36)]


def _require_admin(user: Principal) -> None:
    if not user.is_admin:
        raise forbidden("只有系统管理员可以重建报表")


@router.post("/rebuild", status_code=202, response_model=RebuildAccepted)
async def rebuild(uow: UowDep, user: CurrentUser, body: RebuildRequest | None = None) -> RebuildAccepted:
    """Ask task-svc, by event, to re-emit its tasks; they overwrite the projection and tasks it no longer has are pruned."""
    _require_admin(user)
    r = await service.request_rebuild(uow=uow, plan_id=body.plan_id if body else None, requested_by=user.username)
    return RebuildAccepted(request_id=r.request_id, plan_id=r.plan_id, requested_at=r.requested_at)


@router.get("/rebuild/{request_id}", response_model=RebuildStatus)
async def rebuild_status(request_id: RequestId, session: SessionDep, user: CurrentUser) -> RebuildStatus:
    """How far a rebuild has come (parts applied of parts expected) and what it changed."""
    _require_admin(user)
    return await service.rebuild_status(session=session, request_id=request_id)


@router.get("/plans/{plan_id}/counts")
async def counts(plan_id: Annotated[str, Path(min_length=1, max_length=36)], session: SessionDep, ctx: CtxDep, user: CurrentUser) -> dict[str, object]:
    """Task counts by district, level and status as the reports hold them (city staff)."""
    if not (user.is_admin or user.has("city") or user.has("plan_admin")):
        raise forbidden("只有市教育局可以核对统计")
    return await service.plan_counts(db=ctx.db, session=session, plan_id=plan_id)
