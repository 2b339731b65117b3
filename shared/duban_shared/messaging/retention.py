"""Retention: delete published outbox rows and inbox rows once nothing can need them any more.

Outbox rows serve re-publishing (`duban events replay`, a broker that lost its data); inbox rows
serve deduplication. An event can come back as long as its outbox row exists, so the inbox must
remember at least as long as the outbox keeps rows: the inbox window is never shorter than the
outbox window plus a day (see docs/operations.md, "保留期").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from duban_shared.events import utcnow
from duban_shared.messaging.outbox import read_state
from duban_shared.messaging.republish import CONFIRMED_KEY, parse_time
from duban_shared.messaging.tables import MessagingTables

log = logging.getLogger(__name__)
CHUNK = 5000
MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class RetentionPolicy:
    """How long published outbox rows and inbox rows are kept."""

    outbox: timedelta = timedelta(days=7)
    inbox: timedelta = timedelta(days=30)

    @property
    def inbox_window(self) -> timedelta:
        """The dedup window actually applied: never shorter than the outbox's plus a margin."""
        return max(self.inbox, self.outbox + MARGIN)

    @classmethod
    def from_hours(cls, outbox_hours: float, inbox_hours: float) -> RetentionPolicy:
        """From the settings' hours."""
        return cls(timedelta(hours=outbox_hours), timedelta(hours=inbox_hours))


@dataclass
class Pruned:
    """Rows removed by one retention run."""

    outbox: int = 0
    inbox: int = 0


async def _delete_chunks(engine: AsyncEngine, table: sa.Table, key: sa.Column, where: sa.ColumnElement[bool], dry_run: bool) -> int:
    """Delete matching rows a chunk at a time, so no transaction holds locks for long."""
    if dry_run:
        async with engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(table).where(where))).scalar_one())
    total = 0
    while True:
        async with engine.begin() as conn:
            ids = sa.select(key).where(where).limit(CHUNK).scalar_subquery()
            n = int((await conn.execute(sa.delete(table).where(key.in_(ids)))).rowcount or 0)
        total += n
        if n < CHUNK:
            return total


async def prune(engine: AsyncEngine, tables: MessagingTables, policy: RetentionPolicy, *, now: datetime | None = None,
                dry_run: bool = False) -> Pruned:
    """Delete published outbox rows older than the outbox window and inbox rows older than the dedup window."""
    now = now or utcnow()
    o, i = tables.outbox, tables.inbox
    where_o = sa.and_(o.c.published_at.is_not(None), o.c.published_at < now - policy.outbox)
    async with engine.connect() as conn:
        confirmed = parse_time(await read_state(conn, tables, CONFIRMED_KEY))
    if confirmed is not None:
        # A memory-only broker may still lose what some consumer group has not read: keep those rows.
        where_o = sa.and_(where_o, o.c.published_at <= confirmed)
    out = Pruned()
    out.outbox = await _delete_chunks(engine, o, o.c.seq, where_o, dry_run)
    # The inbox key is composite; processed_at is indexed nowhere, but the run is hourly and chunked.
    where_i = i.c.processed_at < now - policy.inbox_window
    if dry_run:
        out.inbox = await _delete_chunks(engine, i, i.c.event_id, where_i, True)
    else:
        total = 0
        while True:
            async with engine.begin() as conn:
                keys = (await conn.execute(sa.select(i.c.consumer, i.c.event_id).where(where_i).limit(CHUNK))).all()
                for consumer in {k[0] for k in keys}:
                    ids = [k[1] for k in keys if k[0] == consumer]
                    await conn.execute(sa.delete(i).where(i.c.consumer == consumer, i.c.event_id.in_(ids)))
            total += len(keys)
            if len(keys) < CHUNK:
                break
        out.inbox = total
    if out.outbox or out.inbox:
        log.info("retention: %s %d outbox rows, %d inbox rows", "would delete" if dry_run else "deleted", out.outbox, out.inbox)
    return out
