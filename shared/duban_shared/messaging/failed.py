"""Outbox rows that can never be published: refused at the source, or set aside by the relay.

An event too large for the broker would be retried for ever and block every later event of
the service. `Outbox.add` refuses it up front (EventTooLarge, a 422 for HTTP callers); a row that
still fails with an error retrying cannot fix is marked `failed_at` so the relay moves past it.
`duban events failed` lists such rows and puts them back in line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_shared.errors import AppError
from duban_shared.events import utcnow
from duban_shared.messaging.tables import MessagingTables

DEFAULT_MAX_EVENT_BYTES = 900_000
# Errors about the record itself. Broker-wide trouble (connection, authorization, timeouts) is not
# here on purpose: setting every row aside during an outage would be worse than waiting.
PERMANENT = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError, CorruptRecordException, InvalidTopicError)


class EventTooLarge(AppError):
    """An event whose envelope exceeds the configured limit; callers should split the content."""

    def __init__(self, event_type: str, size: int, limit: int) -> None:
        super().__init__(422, "event_too_large",
                         f"内容过大，无法发布（事件 {event_type} 约 {size // 1024} KB，上限 {limit // 1024} KB）：请精简或拆分后再试",
                         {"type": event_type, "bytes": size, "limit": limit})
        self.size = size
        self.limit = limit


def is_permanent(exc: BaseException) -> bool:
    """True for an error that re-sending the same record cannot fix."""
    return isinstance(exc, PERMANENT)


@dataclass
class FailedRow:
    """One set-aside outbox row."""

    seq: int
    event_id: str
    type: str
    topic: str
    bytes: int
    occurred_at: datetime
    failed_at: datetime
    attempts: int
    error: str | None


async def mark_failed(conn: AsyncConnection, tables: MessagingTables, seq: int, error: str) -> None:
    """Set a row aside: the relay skips it until it is requeued."""
    t = tables.outbox
    await conn.execute(sa.update(t).where(t.c.seq == seq).values(failed_at=utcnow(), last_error=error[:2000], attempts=t.c.attempts + 1))


async def list_failed(conn: AsyncConnection, tables: MessagingTables, event_type: str | None = None) -> list[FailedRow]:
    """Rows set aside, oldest first."""
    t = tables.outbox
    q = sa.select(t.c.seq, t.c.event_id, t.c.type, t.c.topic, t.c.envelope, t.c.occurred_at, t.c.failed_at,
                  t.c.attempts, t.c.last_error).where(t.c.failed_at.is_not(None), t.c.published_at.is_(None)).order_by(t.c.seq)
    if event_type:
        q = q.where(t.c.type == event_type)
    # Set-aside rows are few; the size is measured here in bytes, which SQL's length() would not give portably.
    return [FailedRow(r.seq, r.event_id, r.type, r.topic, len(r.envelope.encode()), r.occurred_at, r.failed_at, r.attempts, r.last_error)
            for r in (await conn.execute(q)).all()]


async def requeue_failed(conn: AsyncConnection, tables: MessagingTables, *, event_ids: list[str] | None = None,
                         event_type: str | None = None) -> int:
    """Put set-aside rows back in line for the relay (after the cause was fixed, e.g. a larger broker limit)."""
    t = tables.outbox
    q = sa.update(t).where(t.c.failed_at.is_not(None), t.c.published_at.is_(None))
    if event_ids:
        q = q.where(t.c.event_id.in_(event_ids))
    if event_type:
        q = q.where(t.c.type == event_type)
    res = await conn.execute(q.values(failed_at=None))
    return int(res.rowcount or 0)


async def count_failed(conn: AsyncConnection, tables: MessagingTables) -> int:
    """How many rows are set aside."""
    t = tables.outbox
    q = sa.select(sa.func.count()).select_from(t).where(t.c.failed_at.is_not(None), t.c.published_at.is_(None))
    return int((await conn.execute(q)).scalar_one())


async def send_rows(producer: Any, rows: Sequence[Any], signer: Any = None) -> list[object]:
    """Send rows in order; one result per row: its record metadata, or the exception it failed with.

    aiokafka refuses an oversized record in `send` itself, before any future exists; that must
    become that row's result, not abort the batch.
    """
    pending: list[object] = []
    for r in rows:
        headers = [("type", r.type.encode())]
        if signer is not None:
            headers += signer.headers(r.topic, r.envelope.encode())
        try:
            pending.append(await producer.send(r.topic, value=r.envelope.encode(), key=r.key.encode(), headers=headers))
        except Exception as exc:  # judged per row by the caller (permanent or not)
            pending.append(exc)
    futures = [p for p in pending if isinstance(p, asyncio.Future)]
    done = iter(await asyncio.gather(*futures, return_exceptions=True))
    return [next(done) if isinstance(p, asyncio.Future) else p for p in pending]


async def measure_outbox(conn: AsyncConnection, tables: MessagingTables, metrics: Any) -> None:
    """Set the backlog, oldest-row age and set-aside gauges from the outbox table."""
    t = tables.outbox
    waiting = sa.and_(t.c.published_at.is_(None), t.c.failed_at.is_(None))
    backlog, oldest = (await conn.execute(sa.select(sa.func.count(), sa.func.min(t.c.occurred_at)).where(waiting))).one()
    metrics.outbox_backlog.set(backlog)
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC
        oldest = oldest.replace(tzinfo=UTC)
    metrics.outbox_oldest_age.set(max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0)
    metrics.outbox_failed.set(await count_failed(conn, tables))
