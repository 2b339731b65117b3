"""task-svc: org directory, accounts and login, tasks."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from sqlmodel import select

from duban_shared.app import ConsumerSpec, ServiceContext, ServiceSpec, build_app
from duban_shared.auth import issuer_from_settings
from duban_shared.events.catalogue import PLAN_TOPIC
from task_svc.auth import service as accounts
from task_svc.auth.router import router as auth_router
from task_svc.base import TABLES
from task_svc.config import TaskSettings
from task_svc.directory import service as directory
from task_svc.directory.models import Unit
from task_svc.directory.router import router as directory_router
from task_svc.snapshots.router import router as snapshots_router
from task_svc.tasks import handlers as task_handlers
from task_svc.tasks.router import router as tasks_router

SERVICE_DIR = Path(__file__).resolve().parents[1]
log = logging.getLogger(__name__)


async def load_demo_directory(ctx: ServiceContext, password: str) -> int:
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
    app.state.issuer = issuer_from_settings(settings)
    if settings.demo_directory:
        await load_demo_directory(ctx, settings.unit_password)
    async with ctx.db.sessionmaker() as session:
        city = (await session.exec(select(Unit).where(Unit.kind == "city"))).first()
        await accounts.ensure_admin(session=session, city_unit_id=city.id if city else None, password=settings.admin_password)
        await session.commit()


def create_app(settings: TaskSettings | None = None) -> FastAPI:
    """Build the task-svc app."""
    settings = settings or TaskSettings()
    spec = ServiceSpec(
        name="task-svc",
        title="duban task-svc",
        service_dir=SERVICE_DIR,
        tables=TABLES,
        routers=[auth_router, directory_router, snapshots_router, tasks_router],
        consumers=[ConsumerSpec("plans", [PLAN_TOPIC], [task_handlers.router])],
        on_startup=[_startup],
        body_limits={"/api/directory/import": 6 * 1024 * 1024},
    )
    return build_app(spec, settings)
