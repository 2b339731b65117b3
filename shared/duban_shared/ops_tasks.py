"""Background chores every service runs: business gauges and retention."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from duban_shared.messaging.retention import RetentionPolicy, prune

if TYPE_CHECKING:
    from duban_shared.app import ServiceContext

log = logging.getLogger(__name__)


async def retention_loop(ctx: ServiceContext, first_delay: float = 60.0) -> None:
    """Prune every DUBAN_RETENTION_INTERVAL seconds (the first run a minute after start)."""
    s = ctx.settings
    policy = RetentionPolicy.from_hours(s.outbox_retention_hours, s.inbox_retention_hours)
    await asyncio.sleep(min(first_delay, s.retention_interval_seconds))
    while True:
        try:
            done = await prune(ctx.db.engine, ctx.tables, policy)
            ctx.metrics.retention_deleted.labels("outbox").inc(done.outbox)
            ctx.metrics.retention_deleted.labels("inbox").inc(done.inbox)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database may be away; the next run catches up
            log.warning("retention run failed: %s", exc)
        await asyncio.sleep(s.retention_interval_seconds)


def start_ops_tasks(ctx: ServiceContext, tasks: list[asyncio.Task[None]]) -> None:
    """Start the gauge refresher (if the service registered hooks) and the retention loop."""
    name = ctx.settings.service_name
    business = ctx.metrics.business
    if business.hooks:
        tasks.append(asyncio.create_task(business.run(ctx.db.engine.connect, ctx.settings.business_gauge_refresh_seconds),
                                         name=f"{name}-business-gauges"))
    if ctx.settings.retention_interval_seconds > 0:
        tasks.append(asyncio.create_task(retention_loop(ctx), name=f"{name}-retention"))
