"""report-svc: read models of the directory, plans and tasks; statistics and exports."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI
from prometheus_client import Gauge
from sqlalchemy.exc import SQLAlchemyError

from duban_shared.app import ConsumerSpec, ServiceContext, ServiceSpec, build_app
from duban_shared.events.catalogue import DIRECTORY_TOPIC, PLAN_TOPIC, TASK_TOPIC
from report_svc.base import TABLES
from report_svc.config import ReportSettings
from report_svc.gauges import task_gauges
from report_svc.plans import handlers as plan_handlers
from report_svc.rebuild import handlers as rebuild_handlers
from report_svc.rebuild.router import router as rebuild_router
from report_svc.reports.router import router as reports_router
from report_svc.snapshots import service as snapshots
from report_svc.snapshots.router import router as snapshots_router
from report_svc.stats.service import refresher
from report_svc.tasks import handlers as task_handlers
from report_svc.tasks.models import ReportTask
from report_svc.units import handlers as unit_handlers

SERVICE_DIR = Path(__file__).resolve().parents[1]
log = logging.getLogger(__name__)


async def refresh_task_gauge(ctx: ServiceContext, gauge: Gauge) -> None:
    """Set the gauge to the number of tasks in the read model."""
    async with ctx.db.engine.connect() as conn:
        gauge.set(int((await conn.execute(sa.select(sa.func.count()).select_from(ReportTask))).scalar_one()))


async def _gauge_loop(ctx: ServiceContext, gauge: Gauge, interval: float) -> None:
    while True:
        try:
            await refresh_task_gauge(ctx, gauge)
        except (SQLAlchemyError, OSError) as exc:  # the database may be briefly away; /readyz reports that
            log.debug("task gauge refresh failed: %s", exc)
        await asyncio.sleep(interval)


async def _snapshot_loop(ctx: ServiceContext, settings: ReportSettings) -> None:
    while True:
        try:
            await snapshots.take_scheduled(db=ctx.db, ctx=ctx, interval_days=settings.snapshot_interval_days)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("scheduled snapshots failed: %s", exc)
        await asyncio.sleep(settings.snapshot_check_seconds)


async def _startup(_app: FastAPI, ctx: ServiceContext) -> None:
    settings: ReportSettings = ctx.settings  # type: ignore[assignment]
    gauge: Gauge = ctx.extras["task_gauge"]
    loops = [asyncio.create_task(_gauge_loop(ctx, gauge, settings.gauge_refresh_seconds), name="report-svc-gauge")]
    if settings.messaging_enabled:
        loops.append(asyncio.create_task(refresher(ctx.db, settings.stats_refresh_seconds), name="report-svc-stats"))
    if settings.snapshot_interval_days:
        loops.append(asyncio.create_task(_snapshot_loop(ctx, settings), name="report-svc-snapshots"))
    ctx.extras["loops"] = loops


async def _shutdown(_app: FastAPI, ctx: ServiceContext) -> None:
    for task in ctx.extras.pop("loops", []):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def create_app(settings: ReportSettings | None = None) -> FastAPI:
    """Build the report-svc app."""
    settings = settings or ReportSettings()
    spec = ServiceSpec(
        name="report-svc",
        title="duban report-svc",
        service_dir=SERVICE_DIR,
        tables=TABLES,
        routers=[reports_router, snapshots_router, rebuild_router],
        consumers=[
            ConsumerSpec("directory", [DIRECTORY_TOPIC], [unit_handlers.router]),
            ConsumerSpec("plans", [PLAN_TOPIC], [plan_handlers.router]),
            ConsumerSpec("tasks", [TASK_TOPIC], [task_handlers.router, rebuild_handlers.router]),
        ],
        on_startup=[_startup],
        on_shutdown=[_shutdown],
    )
    app = build_app(spec, settings)
    ctx: ServiceContext = app.state.ctx
    ctx.metrics.business.register(task_gauges, provides=["tasks"])
    ctx.extras["task_gauge"] = Gauge(f"{ctx.metrics.prefix}_read_model_tasks", "Tasks in the report read model", registry=ctx.metrics.registry)
    return app
