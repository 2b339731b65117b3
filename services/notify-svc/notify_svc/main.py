"""notify-svc: notices from task events, digests, a local directory copy, a live stream, outbound delivery."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from fastapi import FastAPI

from duban_shared.app import ConsumerSpec, ServiceContext, ServiceSpec, build_app
from duban_shared.events.catalogue import DIRECTORY_TOPIC, TASK_TOPIC
from duban_shared.messaging.signing import EventVerifier
from notify_svc.base import TABLES
from notify_svc.channels.base import ChannelAdapter
from notify_svc.channels.dingtalk import DingTalkAdapter
from notify_svc.channels.email import EmailAdapter
from notify_svc.channels.feishu import FeishuAdapter
from notify_svc.channels.router import router as channels_router
from notify_svc.channels.wecom import WeComAdapter
from notify_svc.config import NotifySettings
from notify_svc.delivery.metrics import DeliveryMetrics
from notify_svc.delivery.worker import DeliveryWorker
from notify_svc.digests import handlers as digest_handlers
from notify_svc.gauges import delivery_gauges
from notify_svc.notifications import handlers as notification_handlers
from notify_svc.notifications.hub import NotificationHub
from notify_svc.notifications.live import LiveFeed
from notify_svc.notifications.router import router as notifications_router
from notify_svc.units import handlers as unit_handlers

SERVICE_DIR = Path(__file__).resolve().parents[1]
BACKGROUND = "notify_svc.background"


def adapters(settings: NotifySettings) -> dict[str, ChannelAdapter]:
    """One adapter per outbound channel."""
    robot = {"timeout": settings.send_timeout_seconds, "allow_loopback": settings.allow_loopback_webhooks}
    return {"email": EmailAdapter(settings), "dingtalk": DingTalkAdapter(**robot), "wecom": WeComAdapter(**robot),
            "feishu": FeishuAdapter(**robot)}


async def _start(app: FastAPI, ctx: ServiceContext) -> None:
    tasks: list[asyncio.Task[None]] = []
    if "worker" in ctx.extras:
        tasks.append(asyncio.create_task(ctx.extras["worker"].run(), name="notify-delivery-worker"))
    if "live_feed" in ctx.extras:
        tasks.append(asyncio.create_task(ctx.extras["live_feed"].run(), name="notify-live-feed"))
    ctx.extras[BACKGROUND] = tasks


async def _stop(app: FastAPI, ctx: ServiceContext) -> None:
    tasks: list[asyncio.Task[None]] = ctx.extras.pop(BACKGROUND, [])
    for t in tasks:
        t.cancel()
    for t in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await t


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    """Build the notify-svc app."""
    settings = settings or NotifySettings()
    spec = ServiceSpec(
        name="notify-svc",
        title="duban notify-svc",
        service_dir=SERVICE_DIR,
        tables=TABLES,
        routers=[channels_router, notifications_router],
        consumers=[
            ConsumerSpec("directory", [DIRECTORY_TOPIC], [unit_handlers.router]),
            ConsumerSpec("tasks", [TASK_TOPIC], [notification_handlers.router, digest_handlers.router]),
        ],
        on_startup=[_start],
        on_shutdown=[_stop],
    )
    app = build_app(spec, settings)
    ctx: ServiceContext = app.state.ctx
    hub = NotificationHub(ctx.metrics, queue_size=settings.sse_queue_size)
    hub.install(ctx.db)
    ctx.extras["hub"] = hub
    ctx.metrics.business.register(delivery_gauges, provides=["deliveries"])
    if settings.messaging_enabled and settings.live_feed:
        ctx.extras["live_feed"] = LiveFeed(hub=hub, bus=ctx.bus, metrics=ctx.metrics,
                                            verifier=EventVerifier(settings.keys_dir, settings.topic_prefix))
    if settings.delivery_enabled:
        worker = DeliveryWorker(db=ctx.db, settings=settings, adapters=adapters(settings), metrics=DeliveryMetrics(ctx.metrics))
        worker.install()
        ctx.extras["worker"] = worker
    return app
