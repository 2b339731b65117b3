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
from duban_shared.messaging.signing import TOPIC_OWNERS, EventSigner, signer_for
from duban_shared.metrics import ServiceMetrics

# Where the services under test keep their keys; conftest points it at the test's var/keys, so a test
# publisher stands in for each topic's owning service with that service's own key (as production would).
DEFAULT_KEYS_DIR: Path | None = None


class OwnerSigner:
    """Signs each record as its topic's owner, with that owner's key (test stand-in for several services)."""

    def __init__(self, keys_dir: Path, prefix: str) -> None:
        self.keys_dir = keys_dir
        self.prefix = prefix
        self._signers: dict[str, EventSigner] = {}

    def headers(self, topic: str, value: bytes) -> list[tuple[str, bytes]]:
        """The owner's signer headers for this record."""
        owner = TOPIC_OWNERS.get(topic.removeprefix(self.prefix + "."), "publisher")
        if owner not in self._signers:
            signer = signer_for(self.keys_dir, owner, self.prefix, create=True)
            assert signer is not None
            self._signers[owner] = signer
        return self._signers[owner].headers(topic, value)


class Publisher:
    """Commits events to its own outbox; its relay publishes them to the broker."""

    def __init__(self, url: str, bootstrap: str, prefix: str, name: str = "publisher", keys_dir: Path | None = None) -> None:
        self.md = sa.MetaData()
        self.tables = messaging_tables(self.md)
        self.db = Database(url)
        self.bus = KafkaBus(bootstrap, client_id=name, topic_prefix=prefix)
        self.name = name
        self.prefix = prefix
        self.outbox = Outbox(self.tables, source=name, topic_prefix=prefix)
        keys_dir = keys_dir or DEFAULT_KEYS_DIR
        # Named after a service, it signs as that service; unnamed, it signs each event as its topic's owner.
        self.as_owner = name == "publisher" and keys_dir is not None
        signer: object = None
        if self.as_owner:
            assert keys_dir is not None
            signer = OwnerSigner(keys_dir, prefix)
        elif keys_dir is not None:
            signer = signer_for(keys_dir, name, prefix, create=True)
        self.relay = OutboxRelay(db=self.db, bus=self.bus, tables=self.tables, metrics=ServiceMetrics(name), interval=0.05,
                                 epoch_check=0.3, signer=signer,  # type: ignore[arg-type]
                                 confirm_interval=0.5)
        self.task: asyncio.Task[None] | None = None

    async def publish(self, events: list[IntegrationEvent], batch: int = 100) -> list[str]:
        """Commit the events in transactions of `batch`; returns their envelope ids."""
        ids: list[str] = []
        for lo in range(0, len(events), batch):
            async with self.db.sessionmaker() as s:
                for ev in events[lo : lo + batch]:
                    ids.append((await self._outbox_for(ev).add(s, ev)).id)
                await s.commit()
        return ids

    def _outbox_for(self, event: IntegrationEvent) -> Outbox:
        if not self.as_owner:
            return self.outbox
        owner = TOPIC_OWNERS.get(event.TOPIC, self.name)
        return Outbox(self.tables, source=owner, topic_prefix=self.prefix, max_bytes=self.outbox.max_bytes)

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
