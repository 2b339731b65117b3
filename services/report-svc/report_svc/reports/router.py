"""/api/reports: plan statistics, indicators and the Excel export."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response

from duban_shared.app import SessionDep
from duban_shared.auth import CurrentUser
from report_svc.reports import export, indicators, service
from report_svc.reports.access import scope_for
from report_svc.reports.schemas import PlanIndicators, PlanList, PlanSummary

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("/plans", response_model=PlanList)
async def list_plans(session: SessionDep, user: CurrentUser) -> PlanList:
    """Every plan known to the reports, with task counts the caller may see."""
    return await service.list_plans(session=session, scope=scope_for(user))


@router.get("/plans/{plan_id}/summary", response_model=PlanSummary)
async def plan_summary(plan_id: str, session: SessionDep, user: CurrentUser) -> PlanSummary:
    """Totals, per level and per district."""
    return await service.summary(session=session, plan_id=plan_id, scope=scope_for(user))


@router.get("/plans/{plan_id}/indicators", response_model=PlanIndicators)
async def plan_indicators(plan_id: str, session: SessionDep, user: CurrentUser) -> PlanIndicators:
    """Each indicator with its target and aggregated actual."""
    return await indicators.plan_indicators(session=session, plan_id=plan_id, scope=scope_for(user))


@router.get("/plans/{plan_id}/export.xlsx", response_class=Response)
async def plan_export(plan_id: str, session: SessionDep, user: CurrentUser) -> Response:
    """The plan's statistics as an Excel workbook."""
    data = await export.export_data(session=session, plan_id=plan_id, scope=scope_for(user))
    body = await asyncio.to_thread(export.render_workbook, data)
    headers = {"Content-Disposition": export.content_disposition(data.summary.title, plan_id)}
    return Response(content=body, media_type=export.XLSX_MEDIA_TYPE, headers=headers)
