"""The live stream of one unit's notifications as Server-Sent Events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from sse_starlette import ServerSentEvent

from duban_shared.db import Database
from notify_svc.notifications import service
from notify_svc.notifications.hub import NotificationHub
from notify_svc.notifications.schemas import NotificationPublic

RETRY_MS = 3000


def _event(item: NotificationPublic) -> ServerSentEvent:
    return ServerSentEvent(data=item.model_dump_json(), event="notification", id=item.id)


async def notification_events(
    *, hub: NotificationHub, db: Database, unit_id: str | None, last_event_id: str | None, replay_limit: int,
) -> AsyncIterator[ServerSentEvent]:
    """`ready` once subscribed, then what was missed since Last-Event-ID, then new notifications live."""
    if unit_id is None:
        yield ServerSentEvent(data="{}", event="ready", retry=RETRY_MS)
        await asyncio.Event().wait()  # nothing is ever addressed to no unit; pings keep it open
        return
    # Subscribe before reading what was missed, so nothing committed in between is lost.
    with hub.subscribe(unit_id) as sub:
        yield ServerSentEvent(data="{}", event="ready", retry=RETRY_MS)
        replayed: set[str] = set()
        if last_event_id:
            async with db.sessionmaker() as session:
                missed = await service.created_after(session=session, unit_id=unit_id, notification_id=last_event_id, limit=replay_limit)
            for n in missed:
                replayed.add(n.id)
                yield _event(NotificationPublic.model_validate(n, from_attributes=True))
        while True:
            item = await sub.queue.get()
            if item.id not in replayed:
                yield _event(item)
            if sub.overflowed and sub.queue.empty():
                return  # the client reconnects with Last-Event-ID and replays from the database
