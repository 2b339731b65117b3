"""POST /api/reports/rebuild (administrators) and GET …/counts (the consistency check's side of report-svc)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from duban_shared.app import CtxDep, SessionDep
from duban_shared.auth import CurrentUser
from duban_shared.errors import forbidden
from report_svc.rebuild import service

router = APIRouter(prefix="/api/reports", tags=["reports"])


class RebuildRequest(BaseModel):
    """One plan, or every plan when absent; unknown fields are a client error, not a rebuild of everything."""

    model_config = ConfigDict(extra="forbid")
    plan_id: str | None = Field(default=None, min_length=1, max_length=36)


@router.post("/rebuild", status_code=202)
async def rebuild(request: Request, session: SessionDep, ctx: CtxDep, user: CurrentUser, body: RebuildRequest | None = None) -> JSONResponse:
    """Ask task-svc to re-emit its tasks; they overwrite the projection and tasks it no longer has are pruned."""
    if not user.is_admin:
        raise forbidden("只有系统管理员可以重建报表")
    plan_id = body.plan_id if body else None
    result = await service.request_resnapshot(task_svc_url=ctx.settings.task_svc_url, authorization=request.headers.get("authorization", ""), plan_id=plan_id)  # type: ignore[attr-defined]
    await service.forget_stats(session=session, plan_id=plan_id)
    await session.commit()
    return JSONResponse({"plan_id": plan_id, **result}, status_code=202)


@router.get("/plans/{plan_id}/counts")
async def counts(plan_id: Annotated[str, Path(min_length=1, max_length=36)], session: SessionDep, ctx: CtxDep, user: CurrentUser) -> dict[str, object]:
    """Task counts by district, level and status as the reports hold them (city staff)."""
    if not (user.is_admin or user.has("city") or user.has("plan_admin")):
        raise forbidden("只有市教育局可以核对统计")
    return await service.plan_counts(db=ctx.db, session=session, plan_id=plan_id)
