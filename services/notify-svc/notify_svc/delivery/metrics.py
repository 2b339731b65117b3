"""Delivery metrics on the service's registry."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from duban_shared.metrics import ServiceMetrics


class DeliveryMetrics:
    """Sent, failed and retried deliveries by channel and kind; latency; pending; open breakers."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        p, r = metrics.prefix, metrics.registry
        self.sent = Counter(f"{p}_deliveries_sent_total", "Deliveries sent", ["channel", "kind"], registry=r)
        self.failed = Counter(f"{p}_deliveries_failed_total", "Deliveries given up (failed state)", ["channel", "kind"], registry=r)
        self.retried = Counter(f"{p}_delivery_retries_total", "Failed attempts that will be retried", ["channel", "kind"], registry=r)
        self.latency = Histogram(
            f"{p}_delivery_seconds", "From a delivery being due to it being sent", ["channel"], registry=r,
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
        )
        self.pending = Gauge(f"{p}_deliveries_pending", "Deliveries not yet sent nor given up", ["channel"], registry=r)
        self.breaker_open = Gauge(f"{p}_delivery_breakers_open", "Channel endpoints whose circuit breaker is open", ["channel"], registry=r)
