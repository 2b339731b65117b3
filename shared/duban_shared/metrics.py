"""Prometheus metrics: one registry per app, names `duban_<svc>_<noun>_total|_seconds`."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from duban_shared.business_metrics import BusinessGauges, PoolCollector


class ServiceMetrics:
    """The metrics every service exposes."""

    def __init__(self, service: str) -> None:
        p = "duban_" + service.replace("-", "_").removesuffix("_svc")
        self.prefix = p
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(f"{p}_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=r)
        self.http_latency = Histogram(
            f"{p}_http_request_seconds", "HTTP request latency", ["method", "route"], registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.events_published = Counter(f"{p}_events_published_total", "Events published", ["topic", "type"], registry=r)
        self.events_consumed = Counter(
            f"{p}_events_consumed_total", "Events handled", ["topic", "type", "outcome"], registry=r
        )
        self.events_failed = Counter(f"{p}_events_failed_total", "Events dead-lettered", ["topic", "type", "reason"], registry=r)
        self.handler_latency = Histogram(f"{p}_event_handling_seconds", "Event handler latency", ["type"], registry=r)
        self.outbox_backlog = Gauge(f"{p}_outbox_backlog", "Outbox rows not yet published", registry=r)
        self.consumer_lag = Gauge(f"{p}_consumer_lag", "Records behind the high watermark", ["consumer", "topic", "partition"], registry=r)
        self.broker_epoch_changes = Counter(f"{p}_broker_epoch_changes_total", "Broker restarts detected", registry=r)
        self.events_handler_errors = Counter(
            f"{p}_events_handler_errors_total", "Handler attempts that raised (retried; dead-lettered when they keep failing)",
            ["topic", "type"], registry=r,
        )
        self.events_republished = Counter(
            f"{p}_events_republished_total", "Outbox rows queued again after the broker lost its data", registry=r,
        )
        self.outbox_oldest_age = Gauge(f"{p}_outbox_oldest_age_seconds", "Age of the oldest outbox row waiting to be published",
                                       registry=r)
        self.outbox_failed = Gauge(f"{p}_outbox_failed_rows", "Outbox rows set aside: publishing failed for good (duban events failed)",
                                   registry=r)
        self.outbox_failed_total = Counter(f"{p}_outbox_set_aside_total", "Outbox rows set aside by the relay", ["topic", "type"],
                                           registry=r)
        self.retention_deleted = Counter(f"{p}_retention_deleted_total", "Rows removed by retention", ["table"], registry=r)
        self.business = BusinessGauges(p, r)

    def watch_pool(self, engine: object) -> None:
        """Expose a SQLAlchemy pool's use as `<prefix>_db_pool_connections{state}` (read at scrape time)."""
        self.registry.register(PoolCollector(self.prefix, engine))

    def render(self) -> Response:
        """Prometheus text exposition."""
        return Response(generate_latest(self.registry), media_type="text/plain; version=0.0.4; charset=utf-8")


def _route_template(scope: Scope) -> str:
    # The router records the route it picked; routes of included routers are only found that way.
    # Never the raw path: ids in it would make a new series per plan or task.
    picked = scope.get("route")
    if isinstance(getattr(picked, "path", None), str):
        return picked.path
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", []):
        match, _ = route.matches(scope)
        if match == Match.FULL and isinstance(getattr(route, "path", None), str):
            return route.path
    return "unmatched"


class MetricsMiddleware:
    """Counts requests and latency by route template (not raw path, to bound cardinality)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def _send(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            route = _route_template(scope)
            method = scope.get("method", "GET")
            self.metrics.http_requests.labels(method, route, str(status["code"])).inc()
            self.metrics.http_latency.labels(method, route).observe(time.perf_counter() - start)


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics."""
    return request.app.state.metrics.render()
