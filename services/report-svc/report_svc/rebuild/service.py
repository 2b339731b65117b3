"""Rebuild: ask task-svc to re-emit its state (report-svc then overwrites and prunes); counts for the check."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.db import Database
from duban_shared.errors import AppError
from report_svc.reports.service import STATS, require_plan
from report_svc.stats.models import StatsState
from report_svc.stats.service import ensure_fresh

STATUS_COLUMNS = {"assigned": "assigned", "acknowledged": "acknowledged_now", "in_progress": "in_progress", "submitted": "submitted_now",
                  "completed": "completed", "returned": "returned", "declined": "declined", "withdrawn": "withdrawn", "reassigned": "reassigned"}


async def request_resnapshot(*, task_svc_url: str, authorization: str, plan_id: str | None) -> dict[str, Any]:
    """POST task-svc's /api/tasks/resnapshot with the caller's own token; task-svc emits tasks.snapshotted batches."""
    try:
        async with httpx.AsyncClient(base_url=task_svc_url, timeout=120) as client:
            r = await client.post("/api/tasks/resnapshot", json={"plan_id": plan_id}, headers={"Authorization": authorization})
    except httpx.HTTPError as exc:
        raise AppError(502, "task_svc_unavailable", f"任务服务不可用，无法重建：{type(exc).__name__}") from exc
    if r.status_code >= 400:
        try:
            err = r.json()["error"]
        except (ValueError, KeyError, TypeError):
            err = {"code": "task_svc_error", "message": "任务服务拒绝了重建请求"}
        raise AppError(r.status_code if r.status_code < 500 else 502, err.get("code", "task_svc_error"), err.get("message", "任务服务出错"))
    return r.json()


async def forget_stats(*, session: AsyncSession, plan_id: str | None) -> None:
    """Drop the precomputed rows so the next read recomputes them from the rebuilt tasks."""
    where = STATS.c.plan_id == plan_id if plan_id else sa.true()
    await session.execute(sa.delete(STATS).where(where))
    await session.execute(sa.update(StatsState).where(StatsState.plan_id == plan_id if plan_id else sa.true()).values(dirty_gen="rebuild"))


async def plan_counts(*, db: Database, session: AsyncSession, plan_id: str) -> dict[str, Any]:
    """Task counts by district, level and status, read from the precomputed rows (what the reports show)."""
    await require_plan(session=session, plan_id=plan_id)
    await ensure_fresh(db, plan_id)
    rows = (await session.execute(sa.select(STATS).where(STATS.c.plan_id == plan_id, STATS.c.dim == "level"))).mappings().all()
    counts: dict[tuple[str | None, str, str], int] = {}
    for r in rows:
        district = r["part"] or None
        for status, col in STATUS_COLUMNS.items():
            n = int(r[col] or 0)
            key = (district, r["key"], status)
            counts[key] = counts.get(key, 0) + n
            if district is not None:  # the city-wide row includes every district's: what remains has no district
                rest = (None, r["key"], status)
                counts[rest] = counts.get(rest, 0) - n
    out = [{"district_id": d, "level": lv, "status": st, "count": n} for (d, lv, st), n in sorted(counts.items(), key=lambda kv: (kv[0][0] or "", kv[0][1], kv[0][2])) if n]
    return {"plan_id": plan_id, "source": "report-svc", "rows": out, "total": sum(x["count"] for x in out)}
