"""Which upstream service answers which `/api/*` area."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.config import GatewaySettings


@dataclass(frozen=True)
class Upstream:
    """One upstream service: its name, the name a clerk reads, and its base URL."""

    name: str
    label: str
    url: str


# (path prefix, service name); a prefix matches itself and anything below it ("/api/tasks",
# "/api/tasks/1"), never a sibling that merely starts the same ("/api/tasksx").
AREAS: tuple[tuple[str, str], ...] = (
    ("/api/auth", "task-svc"),
    ("/api/directory", "task-svc"),
    ("/api/tasks", "task-svc"),
    ("/api/plans", "plan-svc"),
    ("/api/notifications", "notify-svc"),
    ("/api/reports", "report-svc"),
)

# Long-lived responses (Server-Sent Events): proxied without a read timeout.
STREAM_PATHS: frozenset[str] = frozenset({"/api/notifications/stream"})

LABELS = {
    "plan-svc": "计划服务",
    "task-svc": "任务服务",
    "notify-svc": "通知服务",
    "report-svc": "报表服务",
}


def upstreams(settings: GatewaySettings) -> dict[str, Upstream]:
    """Every upstream service by name, with its URL from the settings."""
    urls = {
        "plan-svc": settings.plan_svc_url,
        "task-svc": settings.task_svc_url,
        "notify-svc": settings.notify_svc_url,
        "report-svc": settings.report_svc_url,
    }
    return {name: Upstream(name, LABELS[name], url.rstrip("/")) for name, url in urls.items()}


def resolve(path: str, table: dict[str, Upstream]) -> Upstream | None:
    """The upstream for a request path, or None when no area matches."""
    for prefix, name in AREAS:
        if path == prefix or path.startswith(prefix + "/"):
            return table[name]
    return None
