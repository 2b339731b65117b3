"""A minimal publishing service for tests: a database with an outbox and a relay."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import sqlalchemy as sa

from duban_shared.db import Database
from duban_shared.events.catalogue import IntegrationEvent
from duban_shared.messaging import KafkaBus, Outbox, OutboxRelay, messaging_tables
from duban_shared.messaging.signing import signer_for
from duban_shared.metrics import ServiceMetrics


class Publisher:
    """Commits events to its own outbox; its relay publishes them to the broker."""

    def __init__(self, url: str, bootstrap: str, prefix: str, name: str = "publisher", keys_dir: Path | None = None) -> None:
        self.md = sa.MetaData()
        self.tables = messaging_tables(self.md)
        self.db = Database(url)
        self.bus = KafkaBus(bootstrap, client_id=name, topic_prefix=prefix)
        self.outbox = Outbox(self.tables, source=name, topic_prefix=prefix)
        # With keys_dir it signs as `name` (tests stand in for the owning service with that service's key).
        signer = signer_for(keys_dir, name, prefix, create=True) if keys_dir is not None else None
        self.relay = OutboxRelay(db=self.db, bus=self.bus, tables=self.tables, metrics=ServiceMetrics(name), interval=0.05,
                                 epoch_check=0.3, signer=signer,
                                 confirm_interval=0.5)
        self.task: asyncio.Task[None] | None = None

    async def publish(self, events: list[IntegrationEvent], batch: int = 100) -> list[str]:
        """Commit the events in transactions of `batch`; returns their envelope ids."""
        ids: list[str] = []
        for lo in range(0, len(events), batch):
            async with self.db.sessionmaker() as s:
                for ev in events[lo : lo + batch]:
                    ids.append((await self.outbox.add(s, ev)).id)
                await s.commit()
        return ids

    async def publish_many(self, n: int, make: Callable[[int], IntegrationEvent], start: int = 0) -> list[str]:
        """Commit n events made by `make(i)`."""
        return await self.publish([make(i) for i in range(start, start + n)])


@contextlib.asynccontextmanager
async def publishing(url: str, bootstrap: str, prefix: str, relay: bool = True, name: str = "publisher",
                     keys_dir: Path | None = None) -> AsyncIterator[Publisher]:
    """A started publisher (tables created, relay running), stopped on exit."""
    p = Publisher(url, bootstrap, prefix, name=name, keys_dir=keys_dir)
    async with p.db.engine.begin() as conn:
        await conn.run_sync(p.md.create_all)
    if relay:
        p.task = asyncio.create_task(p.relay.run())
    try:
        yield p
    finally:
        if p.task:
            p.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await p.task
        await p.bus.stop()
        await p.db.dispose()
