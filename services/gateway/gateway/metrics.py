"""Gateway metrics: the shared HTTP metrics plus per-upstream counts and latency."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from duban_shared.metrics import ServiceMetrics


class GatewayMetrics(ServiceMetrics):
    """ServiceMetrics("gateway") with `duban_gateway_upstream_*` added to the same registry."""

    def __init__(self) -> None:
        super().__init__("gateway")
        self.upstream_requests = Counter(
            f"{self.prefix}_upstream_requests_total", "Requests proxied to an upstream service, by outcome",
            ["service", "status"], registry=self.registry,
        )
        # Time until the upstream answered with status and headers: a streamed body (SSE, a
        # download) would otherwise measure the client, not the service.
        self.upstream_latency = Histogram(
            f"{self.prefix}_upstream_seconds", "Upstream time to response headers", ["service"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
