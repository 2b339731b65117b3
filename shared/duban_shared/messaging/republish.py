"""How far every consumer group has read, so a broker that lost its data gets only the rest again.

Each round the relay notes the time T (less a margin for clock skew between replicas) and the end
offsets E of every partition it published to since the last confirmed point. Once every consumer
group that reads those topics has committed at or past E, every row marked published before T was
read by all of them: `confirmed_until` moves to T. After a broker restart only rows published
after `confirmed_until` are queued again; retention never deletes rows after it either.

Which groups read a topic is learnt from the broker (ListGroups, then each group's committed
offsets on the topic) and remembered in `messaging_state`, so a consumer that is down still counts.
A group that never committed anything on a topic is not known yet; see docs/operations.md.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from duban_shared.db import Database
from duban_shared.events import utcnow
from duban_shared.messaging.bus import KafkaBus
from duban_shared.messaging.outbox import read_state, write_state
from duban_shared.messaging.tables import MessagingTables

log = logging.getLogger(__name__)
CONFIRMED_KEY = "confirmed_until"
GROUPS_KEY = "known_consumer_groups"
SKEW = timedelta(seconds=5)
MAX_SNAPSHOTS = 30


def parse_time(value: str | None) -> datetime | None:
    """A stored ISO time, always aware (UTC)."""
    if not value:
        return None
    t = datetime.fromisoformat(value)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass
class Snapshot:
    """Rows marked published before `at` all sit below `ends` in the broker's log."""

    epoch: str
    at: datetime
    ends: dict[TopicPartition, int] = field(default_factory=dict)


class Confirmer:
    """Moves `confirmed_until` forward as consumer groups commit."""

    def __init__(self, *, db: Database, bus: KafkaBus, tables: MessagingTables) -> None:
        self.db = db
        self.bus = bus
        self.tables = tables
        self.snapshots: list[Snapshot] = []

    async def confirmed_until(self) -> datetime | None:
        """The stored confirmation point."""
        async with self.db.engine.connect() as conn:
            return parse_time(await read_state(conn, self.tables, CONFIRMED_KEY))

    async def round(self, epoch: str) -> datetime | None:
        """One round against the broker life `epoch`; returns the new confirmation point if it moved."""
        t = self.tables.outbox
        taken_at = utcnow() - SKEW
        async with self.db.engine.connect() as conn:
            confirmed = parse_time(await read_state(conn, self.tables, CONFIRMED_KEY))
            known: dict[str, list[str]] = json.loads(await read_state(conn, self.tables, GROUPS_KEY) or "{}")
            q = sa.select(t.c.topic).distinct().where(t.c.published_at.is_not(None))
            if confirmed is not None:
                q = q.where(t.c.published_at > confirmed)
            topics = sorted(r[0] for r in (await conn.execute(q)).all())
        self.snapshots = [s for s in self.snapshots if s.epoch == epoch]
        if not topics:
            return None
        ends = await self._end_offsets(topics)
        committed = await self._group_offsets(list(ends), {g for gs in known.values() for g in gs})
        for group, offsets in committed.items():
            for tp, off in offsets.items():
                if off >= 0 and group not in known.setdefault(tp.topic, []):
                    known[tp.topic].append(group)
        if await self.bus.epoch() != epoch:
            self.snapshots = []  # the broker restarted under us: what we read may be from either life
            return None
        self.snapshots.append(Snapshot(epoch, taken_at, ends))
        self.snapshots = self.snapshots[-MAX_SNAPSHOTS:]
        best = next((s for s in reversed(self.snapshots) if self._read_by_all(s, known, committed)), None)
        async with self.db.engine.begin() as conn:
            await write_state(conn, self.tables, GROUPS_KEY, json.dumps(known, sort_keys=True))
            if best is None or (confirmed is not None and best.at <= confirmed):
                return None
            await write_state(conn, self.tables, CONFIRMED_KEY, best.at.isoformat())
        self.snapshots = [s for s in self.snapshots if s.at > best.at]
        return best.at

    @staticmethod
    def _read_by_all(s: Snapshot, known: dict[str, list[str]], committed: dict[str, dict[TopicPartition, int]]) -> bool:
        for tp, end in s.ends.items():
            if end == 0:
                continue
            groups = known.get(tp.topic, [])
            if not groups:
                return False  # nobody known reads it yet: keep it re-publishable
            if any(committed.get(g, {}).get(tp, -1) < end for g in groups):
                return False
        return True

    async def _end_offsets(self, topics: list[str]) -> dict[TopicPartition, int]:
        c = AIOKafkaConsumer(bootstrap_servers=self.bus.bootstrap, client_id=f"{self.bus.client_id}-confirm", enable_auto_commit=False,
                             **self.bus.client_kwargs)
        await c.start()
        try:
            await c.topics()
            tps = [TopicPartition(tp, p) for tp in topics for p in sorted(c.partitions_for_topic(tp) or ())]
            return dict(await c.end_offsets(tps)) if tps else {}
        finally:
            await c.stop()

    async def _group_offsets(self, tps: list[TopicPartition], known: set[str]) -> dict[str, dict[TopicPartition, int]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bus.bootstrap, client_id=f"{self.bus.client_id}-confirm", **self.bus.client_kwargs)
        await admin.start()
        try:
            listed = {g for g, _ in await admin.list_consumer_groups() if g.startswith(f"{self.bus.prefix}.")}
            groups = sorted(listed | known)
            out: dict[str, dict[TopicPartition, int]] = {}
            for g in groups:
                offsets = await admin.list_consumer_group_offsets(g, partitions=tps)
                out[g] = {tp: o.offset for tp, o in offsets.items()}
            return out
        finally:
            await admin.close()
