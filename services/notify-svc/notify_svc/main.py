"""notify-svc: in-app notifications from task events, a local directory copy, a live stream."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from duban_shared.app import ConsumerSpec, ServiceContext, ServiceSpec, build_app
from duban_shared.events.catalogue import DIRECTORY_TOPIC, TASK_TOPIC
from notify_svc.base import TABLES
from notify_svc.config import NotifySettings
from notify_svc.gauges import delivery_gauges
from notify_svc.notifications import handlers as notification_handlers
from notify_svc.notifications.hub import NotificationHub
from notify_svc.notifications.router import router as notifications_router
from notify_svc.units import handlers as unit_handlers

SERVICE_DIR = Path(__file__).resolve().parents[1]


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    """Build the notify-svc app."""
    settings = settings or NotifySettings()
    spec = ServiceSpec(
        name="notify-svc",
        title="duban notify-svc",
        service_dir=SERVICE_DIR,
        tables=TABLES,
        routers=[notifications_router],
        consumers=[
            ConsumerSpec("directory", [DIRECTORY_TOPIC], [unit_handlers.router]),
            ConsumerSpec("tasks", [TASK_TOPIC], [notification_handlers.router]),
        ],
    )
    app = build_app(spec, settings)
    ctx: ServiceContext = app.state.ctx
    hub = NotificationHub(ctx.metrics, queue_size=settings.sse_queue_size)
    hub.install(ctx.db)
    ctx.extras["hub"] = hub
    ctx.metrics.business.register(delivery_gauges, provides=["deliveries"])
    return app
