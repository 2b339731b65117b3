"""Business gauges of task-svc: plan breakdowns in progress."""

from __future__ import annotations

from collections.abc import Callable

from duban_shared.app import ServiceContext
from duban_shared.messaging import Handler


def tracking_breakdowns(factory: Callable[[ServiceContext], dict[str, Handler]]) -> Callable[[ServiceContext], dict[str, Handler]]:
    """Wrap the plan-event handlers so `duban_task_breakdowns_in_progress` counts those running now."""

    def make(ctx: ServiceContext) -> dict[str, Handler]:
        gauge = ctx.metrics.business.breakdowns_in_progress

        def wrap(handler: Handler) -> Handler:
            async def tracked(session, env, payload) -> None:  # type: ignore[no-untyped-def]
                gauge.inc()
                try:
                    await handler(session, env, payload)
                finally:
                    gauge.dec()

            return tracked

        return {t: wrap(h) for t, h in factory(ctx).items()}

    return make
