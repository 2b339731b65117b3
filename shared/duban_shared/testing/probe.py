"""A probe consumer for tests: counts how many times each event took effect.

It runs the real EventConsumer (inbox, retries, dead letters) with a handler that adds one to
a counter per event id; a count above one means an event was applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import sqlalchemy as sa

from duban_shared.db import Database
from duban_shared.messaging import EventConsumer, KafkaBus, messaging_tables
from duban_shared.metrics import ServiceMetrics
from duban_shared.testing import TEST_SESSION_TIMEOUT_MS
from duban_shared.uow import UnitOfWork


class Probe:
    """A consumer group of its own on the given topics, counting effects per event."""

    def __init__(
        self, *, url: str, bootstrap: str, prefix: str, topics: list[str], types: list[str], name: str = "probe", group: str | None = None
    ) -> None:
        self.md = sa.MetaData()
        self.tables = messaging_tables(self.md)
        self.effects = sa.Table(
            "effects", self.md,
            sa.Column("event_id", sa.String(36), primary_key=True),
            sa.Column("type", sa.String(100)),
            sa.Column("key", sa.String(200)),
            sa.Column("n", sa.Integer, nullable=False),
        )
        self.db = Database(url)
        self.bus = KafkaBus(bootstrap, client_id=name, topic_prefix=prefix, session_timeout_ms=TEST_SESSION_TIMEOUT_MS)
        self.consumer = EventConsumer(
            name=name, topics=topics, handlers={t: self._handle for t in types}, db=self.db, bus=self.bus,
            tables=self.tables, metrics=ServiceMetrics(name), retries=1, backoff=0.05, group=group,
        )
        self._task: asyncio.Task[None] | None = None

    async def _handle(self, uow: UnitOfWork, _event: object) -> None:
        # A plain read-modify-write: applied twice, the count would show 2.
        env = uow.envelope
        assert env is not None
        conn = await uow.session.connection()
        row = (await conn.execute(sa.select(self.effects.c.n).where(self.effects.c.event_id == env.id))).first()
        if row is None:
            await conn.execute(sa.insert(self.effects).values(event_id=env.id, type=env.type, key=env.key, n=1))
        else:
            await conn.execute(sa.update(self.effects).where(self.effects.c.event_id == env.id).values(n=row[0] + 1))

    async def start(self) -> None:
        """Create tables and start consuming."""
        async with self.db.engine.begin() as conn:
            await conn.run_sync(self.md.create_all)
        self._task = asyncio.create_task(self.consumer.run())

    async def stop(self) -> None:
        """Stop consuming and close."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.bus.stop()
        await self.db.dispose()

    async def counts(self) -> dict[str, int]:
        """Effects per event id."""
        async with self.db.engine.connect() as conn:
            return {r[0]: r[1] for r in (await conn.execute(sa.select(self.effects.c.event_id, self.effects.c.n))).all()}

    async def keys(self, event_type: str) -> list[str]:
        """Aggregate keys of the events of a type that took effect."""
        async with self.db.engine.connect() as conn:
            q = sa.select(self.effects.c.key).where(self.effects.c.type == event_type)
            return [r[0] for r in (await conn.execute(q)).all()]


@contextlib.asynccontextmanager
async def probing(**kwargs: object) -> AsyncIterator[Probe]:
    """A started probe, stopped on exit."""
    p = Probe(**kwargs)  # type: ignore[arg-type]
    await p.start()
    try:
        yield p
    finally:
        await p.stop()
