"""task-svc: org directory, accounts and login, tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from fastapi import FastAPI
from sqlmodel import select

from duban_shared.app import ConsumerSpec, ServiceContext, ServiceSpec, build_app
from duban_shared.auth import issuer_from_settings
from duban_shared.events.catalogue import PLAN_TOPIC, REPORT_TOPIC
from task_svc.auth import service as accounts
from task_svc.auth.guard import LocalTokenGuard
from task_svc.auth.router import internal as auth_internal
from task_svc.auth.router import router as auth_router
from task_svc.base import TABLES
from task_svc.config import DEMO_PASSWORD, TaskSettings
from task_svc.deadlines.scheduler import DeadlineScheduler
from task_svc.directory import service as directory
from task_svc.directory.models import Unit
from task_svc.directory.router import router as directory_router
from task_svc.dispatch.jobs import BreakdownWorker
from task_svc.dispatch.router import router as dispatch_router
from task_svc.evidence import models as _evidence_models  # noqa: F401  (registers the tables)
from task_svc.evidence.router import router as evidence_router
from task_svc.evidence.storage import store_from_settings
from task_svc.gauges import breakdown_gauges
from task_svc.snapshots import handlers as snapshot_handlers
from task_svc.snapshots.router import router as snapshots_router
from task_svc.tasks import handlers as task_handlers
from task_svc.tasks.router import router as tasks_router

SERVICE_DIR = Path(__file__).resolve().parents[1]
log = logging.getLogger(__name__)


async def load_demo_directory(ctx: ServiceContext, password: str | None) -> int:
    """Load the demo directory into an empty directory; returns how many units were made."""
    from task_svc.directory.demo import generate_demo_directory

    async with ctx.db.sessionmaker() as session:
        if (await session.exec(select(Unit.id).limit(1))).first() is not None:
            return 0
        summary = await directory.upsert_units(session=session, outbox=ctx.outbox, records=generate_demo_directory(), default_password=password)
        await session.commit()
    log.info("demo directory loaded: %d units, %d accounts", summary.created, summary.accounts_created)
    return summary.created


async def _startup(app: FastAPI, ctx: ServiceContext) -> None:
    settings: TaskSettings = ctx.settings  # type: ignore[assignment]
    if settings.demo_directory:
        await load_demo_directory(ctx, settings.unit_password if settings.demo_mode else None)
    async with ctx.db.sessionmaker() as session:
        city = (await session.exec(select(Unit).where(Unit.kind == "city"))).first()
        await accounts.ensure_admin(session=session, city_unit_id=city.id if city else None, password=app.state.admin_password,
                                    replace=None if settings.demo_mode else DEMO_PASSWORD)
        if not settings.demo_mode:
            retired = await accounts.retire_demo_passwords(session=session, demo_password=DEMO_PASSWORD)
            if retired:
                log.warning("%d accounts still had the demo password: it no longer works, they need activation codes", retired)
        await session.commit()
    ctx.extras["evidence_store"] = store_from_settings(settings)
    scheduler = DeadlineScheduler(ctx, settings.deadline_scan_seconds)
    ctx.extras["deadlines"] = scheduler
    if settings.deadline_scheduler:
        scheduler.start()
    worker = BreakdownWorker(ctx.db, ctx.outbox, chunk_tasks=settings.breakdown_chunk_tasks, pause=settings.breakdown_pause_seconds)
    ctx.db.after_commit.append(worker.wake.set)
    ctx.extras["breakdown"] = worker
    ctx.extras["breakdown_task"] = asyncio.create_task(worker.run(), name="task-svc-breakdown")


async def _shutdown(app: FastAPI, ctx: ServiceContext) -> None:
    scheduler = ctx.extras.get("deadlines")
    if scheduler is not None:
        await scheduler.stop()
    task = ctx.extras.pop("breakdown_task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def create_app(settings: TaskSettings | None = None) -> FastAPI:
    """Build the task-svc app."""
    settings = settings or TaskSettings()
    admin_password = settings.checked_admin_password()  # ConfigError before anything starts
    spec = ServiceSpec(
        name="task-svc",
        title="duban task-svc",
        service_dir=SERVICE_DIR,
        tables=TABLES,
        routers=[auth_router, auth_internal, directory_router, dispatch_router, snapshots_router, tasks_router, evidence_router],
        consumers=[
            ConsumerSpec("plans", [PLAN_TOPIC], [task_handlers.router]),
            ConsumerSpec("reports", [REPORT_TOPIC], [snapshot_handlers.router]),
        ],
        on_startup=[_startup],
        on_shutdown=[_shutdown],
        # Evidence uploads are multipart and checked again, exactly, by the route (413).
        body_limits={"/api/directory/import": 6 * 1024 * 1024, "/api/tasks/": settings.evidence_max_bytes + 256 * 1024},
    )
    app = build_app(spec, settings)
    app.state.admin_password = admin_password
    app.state.issuer = issuer_from_settings(settings)
    app.state.token_guard = LocalTokenGuard(app.state.ctx.db, oidc=bool(settings.oidc_jwks_url))
    app.state.ctx.metrics.business.register(breakdown_gauges, provides=["breakdowns_in_progress"])
    return app
