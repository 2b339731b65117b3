"""/api/reports: summary, board, overdue, indicators, ranking, CSV and the Excel export (thin: the work is in the services)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from duban_shared.app import CtxDep, SessionDep
from duban_shared.auth import CurrentUser
from duban_shared.errors import AppError
from report_svc.reports import board as boards
from report_svc.reports import docs, export, indicators, ranking, service, tables
from report_svc.reports.access import scope_for
from report_svc.snapshots import service as snapshots

router = APIRouter(prefix="/api/reports", tags=["reports"])
PlanId = Annotated[str, Path(min_length=1, max_length=36)]
Id = Annotated[str | None, Query(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9._:-]+$")]
Limit = Annotated[int, Query(ge=1, le=5000)]
Offset = Annotated[int, Query(ge=0)]


def json_response(body: Any, status_code: int = 200) -> Response:
    """Serialise once with the standard library (the bodies are plain dicts already)."""
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status_code=status_code, media_type="application/json")


@router.get("/plans")
async def list_plans(session: SessionDep, ctx: CtxDep, user: CurrentUser) -> Response:
    """Every plan known to the reports, with totals the caller may see."""
    return json_response(await service.list_plans(db=ctx.db, session=session, scope=scope_for(user)))


@router.get("/plans/{plan_id}/summary")
async def plan_summary(plan_id: PlanId, session: SessionDep, ctx: CtxDep, user: CurrentUser, district_id: Id = None) -> Response:
    """Totals, per level, section, item, district and school, and the change since the last snapshot."""
    scope = scope_for(user, district_id)
    return Response(await docs.summary_json(db=ctx.db, session=session, plan_id=plan_id, scope=scope), media_type="application/json")


@router.get("/plans/{plan_id}/indicators")
async def plan_indicators(plan_id: PlanId, session: SessionDep, user: CurrentUser, district_id: Id = None) -> Response:
    """Each indicator with its target, the aggregated actual and the method."""
    return json_response(await indicators.plan_indicators(session=session, plan_id=plan_id, scope=scope_for(user, district_id)))


@router.get("/plans/{plan_id}/overdue")
async def plan_overdue(plan_id: PlanId, session: SessionDep, user: CurrentUser, district_id: Id = None, limit: Limit = 500, offset: Offset = 0) -> Response:
    """Open tasks past their due date."""
    return json_response(await boards.overdue(session=session, plan_id=plan_id, scope=scope_for(user, district_id), limit=limit, offset=offset))


@router.get("/plans/{plan_id}/board")
async def plan_board(plan_id: PlanId, session: SessionDep, user: CurrentUser, item_id: Id = None, parent_id: Id = None,
                     district_id: Id = None, limit: Limit = 2000, offset: Offset = 0) -> Response:
    """填报进度 of an item or of a parent task's children, in org-tree order."""
    if (item_id is None) == (parent_id is None):
        raise AppError(422, "validation_error", "请指定 item_id 或 parent_id 之一")
    scope = scope_for(user, district_id)
    body = await boards.board_json(session=session, plan_id=plan_id, scope=scope, item_id=item_id, parent_id=parent_id, limit=limit, offset=offset)
    return Response(body, media_type="application/json")


@router.get("/plans/{plan_id}/ranking")
async def plan_ranking(plan_id: PlanId, session: SessionDep, ctx: CtxDep, user: CurrentUser) -> Response:
    """Districts by on-time completion and by indicator attainment."""
    return json_response(await ranking.ranking(db=ctx.db, session=session, plan_id=plan_id, scope=scope_for(user)))


@router.get("/plans/{plan_id}/{table}.csv")
async def plan_csv(plan_id: PlanId, table: str, session: SessionDep, ctx: CtxDep, user: CurrentUser, district_id: Id = None,
                   item_id: Id = None, parent_id: Id = None) -> Response:
    """One table as CSV (UTF-8 with BOM, so Excel opens it in Chinese)."""
    scope = scope_for(user, district_id)
    body = await tables.csv_table(db=ctx.db, session=session, plan_id=plan_id, scope=scope, table=table, item_id=item_id, parent_id=parent_id)
    headers = {"Content-Disposition": f'attachment; filename="plan-{plan_id}-{table}.csv"'}
    return Response(content=body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/plans/{plan_id}/export.xlsx", response_class=Response)
async def plan_export(plan_id: PlanId, session: SessionDep, ctx: CtxDep, user: CurrentUser, district_id: Id = None) -> Response:
    """The plan's report as an Excel workbook a bureau can send upward."""
    data = await export.export_data(db=ctx.db, session=session, plan_id=plan_id, scope=scope_for(user, district_id))
    body = await asyncio.to_thread(export.render_workbook, data)
    headers = {"Content-Disposition": export.content_disposition(data.summary["title"], plan_id)}
    return Response(content=body, media_type=export.XLSX_MEDIA_TYPE, headers=headers)


@router.get("/plans/{plan_id}/snapshots")
async def list_snapshots(plan_id: PlanId, session: SessionDep, user: CurrentUser) -> Response:
    """The plan's snapshots (情况通报), newest first."""
    scope_for(user)
    return json_response(await snapshots.list_snapshots(session=session, plan_id=plan_id))
