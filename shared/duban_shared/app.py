"""Build a duban service: one factory so every service gets the same plumbing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import verifier_from_settings
from duban_shared.db import Database, run_migrations
from duban_shared.errors import error_body, install_error_handlers
from duban_shared.http import BodyLimitMiddleware, CorrelationMiddleware
from duban_shared.logging import configure_logging
from duban_shared.messaging import EventConsumer, KafkaBus, MessagingTables, Outbox, OutboxRelay
from duban_shared.messaging.handlers import EventRouter, merge_routers
from duban_shared.messaging.signing import EventVerifier
from duban_shared.metrics import MetricsMiddleware, ServiceMetrics, metrics_endpoint
from duban_shared.ops_tasks import start_ops_tasks
from duban_shared.security import HttpTokenGuard, check_kafka_credentials, event_signer
from duban_shared.settings import ServiceSettings
from duban_shared.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class ServiceContext:
    """What handlers and routes of one service share; lives on `app.state.ctx`."""

    settings: ServiceSettings
    db: Database
    metrics: ServiceMetrics
    tables: MessagingTables
    outbox: Outbox
    bus: KafkaBus
    relay: OutboxRelay
    consumers: list[EventConsumer] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class ConsumerSpec:
    """A consumer group: its name, topic suffixes, and the routers whose handlers it runs."""

    name: str
    topics: list[str]
    routers: list[EventRouter]


@dataclass
class ServiceSpec:
    """Everything that differs between services."""

    name: str
    service_dir: Path
    tables: MessagingTables
    routers: list[APIRouter] = field(default_factory=list)
    consumers: list[ConsumerSpec] = field(default_factory=list)
    on_startup: list[Callable[[FastAPI, ServiceContext], Awaitable[None]]] = field(default_factory=list)
    on_shutdown: list[Callable[[FastAPI, ServiceContext], Awaitable[None]]] = field(default_factory=list)
    body_limits: dict[str, int] = field(default_factory=dict)
    title: str = ""


async def _start_messaging(ctx: ServiceContext, tasks: list[asyncio.Task[None]]) -> None:
    tasks.append(asyncio.create_task(ctx.relay.run(), name=f"{ctx.settings.service_name}-relay"))
    for c in ctx.consumers:
        tasks.append(asyncio.create_task(c.run(), name=f"{ctx.settings.service_name}-{c.name}"))


def build_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    """A FastAPI app with DB, migrations, auth, metrics, logs, outbox relay and consumers."""
    configure_logging(spec.name, settings.log_level, settings.log_json)
    db = Database(settings.db_url)
    metrics = ServiceMetrics(spec.name)
    check_kafka_credentials(settings)
    bus = KafkaBus(settings.kafka_bootstrap_servers, client_id=spec.name, topic_prefix=settings.topic_prefix,
                   security=settings.kafka_security(), session_timeout_ms=settings.kafka_session_timeout_ms)
    outbox = Outbox(spec.tables, source=spec.name, topic_prefix=settings.topic_prefix, max_bytes=settings.max_event_bytes)
    verifier = verifier_from_settings(settings)  # raises ConfigError outside demo mode without keys
    relay = OutboxRelay(
        db=db, bus=bus, tables=spec.tables, metrics=metrics, batch_size=settings.relay_batch_size,
        interval=settings.relay_interval_seconds, epoch_check=settings.epoch_check_seconds,
        signer=event_signer(settings, spec.name),
        confirm_interval=settings.confirm_interval_seconds,
    )
    events = EventVerifier(settings.keys_dir, settings.topic_prefix)
    db.after_commit.append(relay.wake.set)
    metrics.watch_pool(db.engine.sync_engine)
    ctx = ServiceContext(settings=settings, db=db, metrics=metrics, tables=spec.tables, outbox=outbox, bus=bus, relay=relay)
    for cs in spec.consumers:
        consumer = EventConsumer(
            name=f"{spec.name}.{cs.name}", topics=cs.topics, handlers=merge_routers(cs.routers), db=db, bus=bus,
            tables=spec.tables, metrics=metrics, retries=settings.handler_retries, backoff=settings.retry_backoff_seconds,
            outbox=outbox, ctx=ctx,
            verifier=events,
        )
        ctx.consumers.append(consumer)
        relay.epoch_listeners.append(consumer.on_epoch)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_migrations:
            await asyncio.to_thread(run_migrations, spec.service_dir, settings.db_url)
        tasks: list[asyncio.Task[None]] = []
        for hook in spec.on_startup:
            await hook(app, ctx)
        if settings.messaging_enabled:
            await _start_messaging(ctx, tasks)
        start_ops_tasks(ctx, tasks)
        log.info("%s started", spec.name)
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            for hook in spec.on_shutdown:
                await hook(app, ctx)
            await bus.stop()
            await db.dispose()
            guard = getattr(app.state, "token_guard", None)
            if isinstance(guard, HttpTokenGuard):
                await guard.aclose()

    app = FastAPI(title=spec.title or spec.name, lifespan=lifespan)
    app.state.ctx = ctx
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.verifier = verifier
    check_url = settings.task_svc_url if settings.token_check_url is None else settings.token_check_url
    if check_url and spec.name != "task-svc":  # task-svc checks its own accounts table
        app.state.token_guard = HttpTokenGuard(check_url, settings.token_check_ttl, oidc=bool(settings.oidc_jwks_url))
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, default_limit=settings.max_body_bytes, overrides=spec.body_limits)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(CorrelationMiddleware)
    app.include_router(health_router())
    for r in spec.routers:
        app.include_router(r)
    return app


def health_router() -> APIRouter:
    """/healthz (process alive), /readyz (DB and broker reachable), /metrics."""
    r = APIRouter(tags=["ops"])

    @r.get("/healthz")
    async def healthz(request: Request) -> dict[str, str]:
        return {"status": "ok", "service": request.app.state.settings.service_name}

    @r.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        ctx: ServiceContext = request.app.state.ctx
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(ctx.db.ping(), 3)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        if ctx.settings.messaging_enabled:
            try:
                await ctx.bus.ping()
                checks["broker"] = "ok"
            except Exception as exc:
                checks["broker"] = f"error: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        if ok:
            return JSONResponse({"status": "ready", "checks": checks})
        body = error_body("not_ready", "服务依赖暂不可用", checks)
        return JSONResponse(body, status_code=503)

    r.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    return r


def get_ctx(request: Request) -> ServiceContext:
    """Dependency: the service context."""
    return request.app.state.ctx


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Dependency: a session per request (the route commits)."""
    async with request.app.state.ctx.db.sessionmaker() as session:
        yield session


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """Dependency: a unit of work per request, committed when the route returns without error."""
    ctx: ServiceContext = request.app.state.ctx
    async with ctx.db.sessionmaker() as session:
        uow = UnitOfWork(session, ctx.outbox, ctx=ctx)
        yield uow
        # Runs before the response is sent (scope="function"): a failed commit is the client's error.
        await uow.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session)]
CtxDep = Annotated[ServiceContext, Depends(get_ctx)]
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]
