"""Business gauges services fill through hooks, and the database pool collector.

A service registers `async def hook(conn, gauges)` with `ctx.metrics.business.register(hook)`;
the app refreshes every hook each DUBAN_BUSINESS_GAUGE_REFRESH seconds on one read connection.
Gauges are created on first use, so a service exposes only the ones it fills.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger(__name__)
Hook = Callable[[AsyncConnection, "BusinessGauges"], Awaitable[None]]


class BusinessGauges:
    """The business gauges of one service and the hooks that fill them."""

    def __init__(self, prefix: str, registry: CollectorRegistry) -> None:
        self.prefix = prefix
        self.registry = registry
        self.hooks: list[Hook] = []
        self._gauges: dict[str, Gauge] = {}

    def gauge(self, name: str, doc: str, labels: Iterable[str] = ()) -> Gauge:
        """`<prefix>_<name>`, created on first use."""
        if name not in self._gauges:
            self._gauges[name] = Gauge(f"{self.prefix}_{name}", doc, list(labels), registry=self.registry)
        return self._gauges[name]

    @property
    def tasks(self) -> Gauge:
        """Tasks by district, status and warning level (green | yellow | red, as the API's `warning`)."""
        return self.gauge("tasks", "Tasks by district, status and warning level", ["district", "status", "warning"])

    @property
    def deliveries(self) -> Gauge:
        """Notices by channel and delivery state (pending | failed | delivered | unread | read)."""
        return self.gauge("deliveries", "Notices by channel and delivery state", ["channel", "state"])

    @property
    def breakdowns_in_progress(self) -> Gauge:
        """Plan breakdowns being handled right now."""
        return self.gauge("breakdowns_in_progress", "Plan breakdowns being handled right now")

    def register(self, hook: Hook, provides: Iterable[str] = ()) -> None:
        """Add a hook run at every refresh; `provides` names the standard gauges it fills, exposed from the start."""
        for name in provides:
            getattr(self, name)
        self.hooks.append(hook)

    async def refresh(self, connect: Callable[[], Any]) -> None:
        """Run every hook once; one failing hook does not stop the others."""
        async with connect() as conn:
            for hook in self.hooks:
                try:
                    await hook(conn, self)
                except Exception as exc:  # a gauge is not worth a crash; the next refresh tries again
                    log.warning("business gauge hook %s failed: %s", getattr(hook, "__name__", hook), exc)

    async def run(self, connect: Callable[[], Any], interval: float) -> None:
        """Refresh until cancelled."""
        while True:
            try:
                await self.refresh(connect)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be briefly away; /readyz reports that
                log.debug("business gauges not refreshed: %s", exc)
            await asyncio.sleep(interval)


def replace(gauge: Gauge, values: dict[tuple[str, ...], float]) -> None:
    """Set a labelled gauge to exactly these series (series that vanished are dropped)."""
    gauge.clear()
    for labels, v in values.items():
        gauge.labels(*labels).set(v)


class PoolCollector:
    """`<prefix>_db_pool_connections{state="in_use|idle"}` and `<prefix>_db_pool_size`, read at scrape time."""

    def __init__(self, prefix: str, engine: Any) -> None:
        self.prefix = prefix
        self.engine = engine

    def describe(self) -> list[GaugeMetricFamily]:
        """No fixed description (the pool may lack some numbers)."""
        return []

    def collect(self) -> Iterable[GaugeMetricFamily]:
        """Read the pool's counters now."""
        pool = getattr(self.engine, "pool", None)
        use = GaugeMetricFamily(f"{self.prefix}_db_pool_connections", "Database connections of the pool by state", labels=["state"])
        size = GaugeMetricFamily(f"{self.prefix}_db_pool_size", "Configured size of the database pool (without overflow)")
        checked_out = getattr(pool, "checkedout", None)
        checked_in = getattr(pool, "checkedin", None)
        if callable(checked_out):
            use.add_metric(["in_use"], float(checked_out()))
        if callable(checked_in):
            use.add_metric(["idle"], float(checked_in()))
        pool_size = getattr(pool, "size", None)
        if callable(pool_size):
            size.add_metric([], float(pool_size()))
        yield use
        yield size
