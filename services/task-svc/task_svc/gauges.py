"""Business gauges of task-svc: plan breakdowns in progress."""

from __future__ import annotations

from typing import Any

from duban_shared.messaging.handlers import EventHandler, EventRouter
from duban_shared.uow import UnitOfWork


def tracking_breakdowns(router: EventRouter) -> EventRouter:
    """A router whose handlers count themselves in `duban_task_breakdowns_in_progress` while running."""

    def wrap(handler: EventHandler) -> EventHandler:
        async def tracked(uow: UnitOfWork, event: Any) -> None:
            gauge = uow.ctx.metrics.business.breakdowns_in_progress if uow.ctx is not None else None
            if gauge is not None:
                gauge.inc()
            try:
                await handler(uow, event)
            finally:
                if gauge is not None:
                    gauge.dec()

        return tracked

    out = EventRouter()
    out.handlers = {t: wrap(h) for t, h in router.handlers.items()}
    return out
