"""Declaring event handlers one way: `@router.handles(PlanPublished)` on `async def f(uow, event)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from duban_shared.events import IntegrationEvent
from duban_shared.uow import UnitOfWork

E = TypeVar("E", bound=IntegrationEvent)
EventHandler = Callable[[UnitOfWork, Any], Awaitable[None]]
F = TypeVar("F", bound=Callable[..., Awaitable[None]])


class EventRouter:
    """A module's handlers, by event type; a consumer group serves one or more routers."""

    def __init__(self) -> None:
        self.handlers: dict[str, EventHandler] = {}

    def handles(self, *events: type[IntegrationEvent]) -> Callable[[F], F]:
        """Register the decorated coroutine for these event classes (payload typed as the class)."""

        def register(fn: F) -> F:
            for event in events:
                if event.TYPE in self.handlers:
                    raise ValueError(f"{event.TYPE} already has a handler in this router")
                self.handlers[event.TYPE] = fn
            return fn

        return register


def merge_routers(routers: list[EventRouter]) -> dict[str, EventHandler]:
    """One handler per type across the routers of a consumer group."""
    out: dict[str, EventHandler] = {}
    for r in routers:
        for t, fn in r.handlers.items():
            if t in out:
                raise ValueError(f"{t} is handled twice in one consumer group")
            out[t] = fn
    return out
