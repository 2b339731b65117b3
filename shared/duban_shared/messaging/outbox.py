"""The transactional outbox: events are rows written in the same transaction as the state change."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from duban_shared.events import Envelope, IntegrationEvent, utcnow
from duban_shared.logging import causation_id, correlation_id
from duban_shared.messaging.failed import DEFAULT_MAX_EVENT_BYTES, EventTooLarge
from duban_shared.messaging.tables import MessagingTables


class Outbox:
    """Adds events to a service's outbox table inside the caller's transaction."""

    def __init__(self, tables: MessagingTables, *, source: str, topic_prefix: str, max_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.tables = tables
        self.max_bytes = max_bytes
        self.source = source
        self.topic_prefix = topic_prefix
        self._wake: list[object] = []

    def envelope(self, event: IntegrationEvent, event_id: str | None = None) -> Envelope:
        """Wrap an event with ids taken from the current request or event context (a given id when set)."""
        extra = {"id": event_id} if event_id else {}
        return Envelope(
            **extra,
            type=event.TYPE,
            version=event.VERSION,
            source=self.source,
            correlation_id=correlation_id.get(),
            causation_id=causation_id.get(),
            key=event.partition_key(),
            payload=event.model_dump(mode="json"),
        )

    async def add(self, session: AsyncSession | AsyncConnection, event: IntegrationEvent, *, event_id: str | None = None) -> Envelope:
        """Stage an event; it is published only if the caller's transaction commits. Raises EventTooLarge (422).

        A deterministic `event_id` lets work that is redone after a crash emit the very same event.
        """
        env = self.envelope(event, event_id)
        await session.execute(sa.insert(self.tables.outbox).values(self._row(env, event)))
        return env

    async def add_many(self, session: AsyncSession | AsyncConnection, events: list[IntegrationEvent],
                       event_ids: list[str | None] | None = None) -> list[Envelope]:
        """Stage many events with one executemany (bulk work emits in bulk)."""
        if not events:
            return []
        ids = event_ids or [None] * len(events)
        envs = [self.envelope(ev, i) for ev, i in zip(events, ids, strict=True)]
        await session.execute(sa.insert(self.tables.outbox), [self._row(env, ev) for env, ev in zip(envs, events, strict=True)])
        return envs

    def _row(self, env: Envelope, event: IntegrationEvent) -> dict[str, object]:
        body = env.model_dump_json()
        size = len(body.encode("utf-8"))
        if size > self.max_bytes:  # at the source: a record the broker cannot take must never enter the outbox
            raise EventTooLarge(env.type, size, self.max_bytes)
        return dict(event_id=env.id, topic=f"{self.topic_prefix}.{event.TOPIC}", key=env.key, type=env.type,
                    version=env.version, envelope=body, occurred_at=env.occurred_at)

    async def backlog(self, conn: AsyncConnection) -> int:
        """How many rows wait to be published."""
        t = self.tables.outbox
        q = sa.select(sa.func.count()).select_from(t).where(t.c.published_at.is_(None), t.c.failed_at.is_(None))
        return int((await conn.execute(q)).scalar_one())

    async def mark_for_replay(self, conn: AsyncConnection, since: datetime, event_type: str | None = None) -> int:
        """Make rows that occurred at or after `since` publish again (consumers dedupe)."""
        t = self.tables.outbox
        q = sa.update(t).where(t.c.occurred_at >= since, t.c.published_at.is_not(None))
        if event_type:
            q = q.where(t.c.type == event_type)
        res = await conn.execute(q.values(published_at=None))
        return int(res.rowcount or 0)


async def reset_published_since(conn: AsyncConnection, tables: MessagingTables, since: datetime) -> int:
    """Unmark rows published to a broker that has since lost its data."""
    t = tables.outbox
    res = await conn.execute(sa.update(t).where(t.c.published_at >= since).values(published_at=None))
    return int(res.rowcount or 0)


async def read_state(conn: AsyncConnection, tables: MessagingTables, name: str) -> str | None:
    """A messaging-state value."""
    row = (await conn.execute(sa.select(tables.state.c.value).where(tables.state.c.name == name))).first()
    return row[0] if row else None


async def write_state(conn: AsyncConnection, tables: MessagingTables, name: str, value: str) -> None:
    """Upsert a messaging-state value (portable: update, then insert when nothing matched)."""
    t = tables.state
    res = await conn.execute(sa.update(t).where(t.c.name == name).values(value=value, updated_at=utcnow()))
    if not res.rowcount:
        await conn.execute(sa.insert(t).values(name=name, value=value, updated_at=utcnow()))
