"""Idempotent consumers: handler writes and the inbox row commit together; offsets after.

Poison events (malformed, unknown type or version, invalid payload, a handler that keeps
failing while the database is fine) go to the dead-letter topic with a reason, and the
consumer carries on with the next event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata, TopicPartition
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError

from duban_shared.db import Database
from duban_shared.events import Envelope, lookup, utcnow
from duban_shared.logging import causation_id, correlation_id
from duban_shared.messaging.bus import KafkaBus, cancel_requested
from duban_shared.messaging.dlq import publish_dead_letter
from duban_shared.messaging.handlers import EventHandler
from duban_shared.messaging.outbox import Outbox
from duban_shared.messaging.signing import SIGNED_HEADERS, EventVerifier
from duban_shared.messaging.tables import MessagingTables
from duban_shared.metrics import ServiceMetrics
from duban_shared.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = EventHandler


@dataclass
class Outcome:
    """What happened to one record."""

    result: str  # handled | duplicate | ignored | dead_lettered
    reason: str | None = None


class EventConsumer:
    """One consumer group: reads its topics, runs handlers once per event id."""

    def __init__(
        self,
        *,
        name: str,
        topics: list[str],
        handlers: dict[str, Handler],
        db: Database,
        bus: KafkaBus,
        tables: MessagingTables,
        metrics: ServiceMetrics,
        retries: int = 3,
        backoff: float = 0.2,
        group: str | None = None,
        outbox: Outbox | None = None,
        ctx: Any = None,
        verifier: EventVerifier | None = None,
    ) -> None:
        self.name = name
        self.group = group or name
        self.topics = [bus.topic(t) for t in topics]
        self.handlers = handlers
        self.db = db
        self.bus = bus
        self.tables = tables
        self.metrics = metrics
        self.retries = retries
        self.backoff = backoff
        # Handlers emit through a unit of work; a consumer without an outbox of its own gets one that
        # writes to its tables (tests and probes), so every handler has the same shape.
        self.outbox = outbox or Outbox(tables, source=name, topic_prefix=bus.prefix)
        self.ctx = ctx
        self.verifier = verifier
        self.consumer: AIOKafkaConsumer | None = None
        self._restart = asyncio.Event()
        self._epoch: str | None = None
        self._committed: dict[TopicPartition, int] = {}

    async def on_epoch(self, _epoch: str) -> None:
        """The broker lost its data: rejoin from scratch (committed offsets are gone too)."""
        self._restart.set()

    async def run(self) -> None:
        """Consume until cancelled, reconnecting across broker outages."""
        while True:
            if cancel_requested():
                raise asyncio.CancelledError
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s: %s (%s); reconnecting", self.name, exc, type(exc).__name__)
                await asyncio.sleep(1.0)
            finally:
                await self._close()

    async def _close(self) -> None:
        if self.consumer is not None:
            c, self.consumer = self.consumer, None
            try:
                await asyncio.wait_for(c.stop(), 10)
            except Exception as exc:  # closing a consumer of a dead broker may fail; nothing to keep
                log.debug("consumer stop: %s", exc)

    async def _run_once(self) -> None:
        self._restart.clear()
        await self.bus.ensure_topics()
        self.consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bus.bootstrap,
            group_id=f"{self.bus.prefix}.{self.group}",
            client_id=f"{self.bus.client_id}-{self.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=5_000,
            session_timeout_ms=self.bus.session_timeout_ms,
            heartbeat_interval_ms=min(1_000, self.bus.session_timeout_ms // 3),
            max_poll_interval_ms=300_000,
            **self.bus.client_kwargs,
        )
        # Read before joining: if the broker restarts after this, the first commit will see it.
        self._epoch = await self.bus.epoch()
        self._committed = {}
        await self.consumer.start()
        while not self._restart.is_set() and not cancel_requested():
            batch = await self.consumer.getmany(timeout_ms=500, max_records=200)
            offsets: dict[TopicPartition, int] = {}
            for tp, records in batch.items():
                await self.process_batch(records)
                offsets[tp] = records[-1].offset + 1
                if self._restart.is_set():
                    return
            if offsets and not await self._commit(offsets):
                log.warning("consumer %s: the broker lost its state; re-reading from the start (the inbox drops repeats)", self.name)
                return
            self._record_lag()

    async def _commit(self, offsets: dict[TopicPartition, int]) -> bool:
        """Commit, unless the broker forgot what we committed before (a memory-only broker restarted).

        Positions taken from the old broker would skip records of the new one; committing them
        would make the loss permanent. A partition we committed to before must still show a
        committed offset; one we never committed to is checked against the epoch we started in.
        """
        c = self.consumer
        assert c is not None
        assigned = c.assignment()
        self._committed = {tp: o for tp, o in self._committed.items() if tp in assigned}
        if any(tp not in self._committed for tp in offsets) and await self.bus.epoch() != self._epoch:
            return False
        for tp in offsets:
            if tp in self._committed and await c.committed(tp) is None:
                return False
        await c.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
        self._committed.update(offsets)
        return True

    def _record_lag(self) -> None:
        c = self.consumer
        if c is None:
            return
        for tp in c.assignment():
            hw = c.highwater(tp)
            if hw is None:
                continue
            try:
                pos = c._subscription.subscription.assignment.state_value(tp).position
            except Exception:  # noqa: S112 - position unknown until the first fetch
                continue
            if pos is not None:
                self.metrics.consumer_lag.labels(self.name, tp.topic, str(tp.partition)).set(max(hw - pos, 0))

    async def _prepare(self, rec: ConsumerRecord) -> tuple[Envelope, BaseModel, Handler] | Outcome:
        """Decode and validate a record; poison goes to the dead-letter topic, unhandled types are ignored."""
        try:
            env = Envelope.from_bytes(rec.value or b"")
        except (ValidationError, ValueError, UnicodeDecodeError) as exc:
            return await self.dead_letter(rec, "malformed", f"不是有效的事件信封: {exc.__class__.__name__}", "?")
        rejected = self.verifier.check(rec, env) if self.verifier is not None else None
        if rejected is not None:  # forged or unsigned: never handled
            return await self.dead_letter(rec, rejected[0], rejected[1], env.type)
        spec = lookup(env.type, env.version)
        if spec is None:
            return await self.dead_letter(rec, "unknown_type", f"未登记的事件类型 {env.type} v{env.version}", env.type)
        handler = self.handlers.get(env.type)
        if handler is None:
            self.metrics.events_consumed.labels(rec.topic, env.type, "ignored").inc()
            return Outcome("ignored")
        try:
            payload = spec.model.model_validate(env.payload)
        except ValidationError as exc:
            return await self.dead_letter(rec, "invalid_payload", str(exc)[:500], env.type)
        return env, payload, handler

    async def process(self, rec: ConsumerRecord) -> Outcome:
        """Handle one record exactly once in effect; never raises for a bad event."""
        prepared = await self._prepare(rec)
        if isinstance(prepared, Outcome):
            return prepared
        return await self._handle(rec, *prepared)

    async def process_batch(self, records: list[ConsumerRecord]) -> None:
        """Handle a partition's batch in one transaction; if any handler fails, one record at a time."""
        ready: list[tuple[ConsumerRecord, Envelope, BaseModel, Handler]] = []
        for rec in records:
            prepared = await self._prepare(rec)
            if not isinstance(prepared, Outcome):
                ready.append((rec, *prepared))
        if len(ready) > 1 and await self._apply_many(ready):
            return
        for rec, env, payload, handler in ready:
            await self._handle(rec, env, payload, handler)

    async def _apply_many(self, ready: list[tuple[ConsumerRecord, Envelope, BaseModel, Handler]]) -> bool:
        """All handlers and inbox rows of a batch in one transaction; False (nothing kept) if any step fails."""
        inbox = self.tables.inbox
        start = time.perf_counter()
        results: list[str] = []
        rows: list[dict[str, object]] = []
        try:
            async with self.db.sessionmaker() as session:
                uow = UnitOfWork(session, self.outbox, ctx=self.ctx)
                conn = await session.connection()
                ids = list({env.id for _, env, _, _ in ready})
                q = sa.select(inbox.c.event_id).where(inbox.c.consumer == self.name, inbox.c.event_id.in_(ids))
                seen = {r[0] for r in (await conn.execute(q)).all()}
                for _, env, payload, handler in ready:
                    if env.id in seen:  # handled before, or twice in this batch (a re-published record)
                        results.append("duplicate")
                        continue
                    tok_c, tok_k = correlation_id.set(env.correlation_id or env.id), causation_id.set(env.id)
                    uow.envelope = env
                    try:
                        await handler(uow, payload)
                    finally:
                        correlation_id.reset(tok_c)
                        causation_id.reset(tok_k)
                    rows.append({"consumer": self.name, "event_id": env.id, "type": env.type, "processed_at": utcnow()})
                    seen.add(env.id)
                    results.append("handled")
                if rows:
                    await conn.execute(sa.insert(inbox), rows)
                await uow.commit()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a poison handler or a concurrent member: the slow path sorts it out
            log.info("consumer %s: batch of %d failed (%s); handling one by one", self.name, len(ready), type(exc).__name__)
            return False
        per = (time.perf_counter() - start) / len(ready)
        for (rec, env, _, _), result in zip(ready, results, strict=True):
            self.metrics.events_consumed.labels(rec.topic, env.type, result).inc()
            self.metrics.handler_latency.labels(env.type).observe(per)
        return True

    async def _handle(self, rec: ConsumerRecord, env: Envelope, payload: BaseModel, handler: Handler) -> Outcome:
        """One record with retries and backoff; dead-lettered when it keeps failing while the database is fine."""
        attempt = 0
        while True:
            try:
                result = await self._apply(env, payload, handler)
                self.metrics.events_consumed.labels(rec.topic, env.type, result).inc()
                return Outcome(result)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                attempt += 1
                self.metrics.events_handler_errors.labels(rec.topic, env.type).inc()
                if attempt <= self.retries:
                    await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                if not await self._db_ok():
                    # The database is down, not the event: wait and retry rather than dead-letter.
                    log.warning("consumer %s: database unavailable, holding %s", self.name, env.id)
                    await asyncio.sleep(2.0)
                    attempt = 0
                    continue
                log.exception("consumer %s: handler failed for %s %s", self.name, env.type, env.id)
                return await self.dead_letter(rec, "handler_failed", f"{type(exc).__name__}: {exc}"[:500], env.type)

    async def _apply(self, env: Envelope, payload: BaseModel, handler: Handler) -> str:
        inbox = self.tables.inbox
        start = time.perf_counter()
        tok_c = correlation_id.set(env.correlation_id or env.id)
        tok_k = causation_id.set(env.id)
        try:
            async with self.db.sessionmaker() as session:
                conn = await session.connection()
                seen = await conn.execute(
                    sa.select(inbox.c.event_id).where(inbox.c.consumer == self.name, inbox.c.event_id == env.id)
                )
                if seen.first() is not None:
                    return "duplicate"
                uow = UnitOfWork(session, self.outbox, ctx=self.ctx, envelope=env)
                await handler(uow, payload)
                await conn.execute(sa.insert(inbox).values(consumer=self.name, event_id=env.id, type=env.type, processed_at=utcnow()))
                try:
                    await uow.commit()
                except IntegrityError:
                    # Another member handled the same event concurrently; its commit won.
                    await session.rollback()
                    return "duplicate"
        finally:
            correlation_id.reset(tok_c)
            causation_id.reset(tok_k)
        self.metrics.handler_latency.labels(env.type).observe(time.perf_counter() - start)
        return "handled"

    async def _db_ok(self) -> bool:
        try:
            await self.db.ping()
            return True
        except Exception:
            return False

    async def dead_letter(self, rec: ConsumerRecord, reason: str, detail: str, event_type: str) -> Outcome:
        """Send the original bytes to the dead-letter topic with why (bounded retries, see dlq.py)."""
        headers = [
            ("dlq_reason", reason.encode()),
            ("dlq_detail", detail.encode("utf-8", "replace")[:1000]),
            ("dlq_consumer", self.name.encode()),
            ("dlq_source", f"{rec.topic}/{rec.partition}/{rec.offset}".encode()),
            # The owner's signature travels with the letter, so a requeued original verifies again.
            *((k, v) for k, v in (rec.headers or []) if k in SIGNED_HEADERS),
        ]
        # Bounded: raises DeadLetterUnavailable after a few tries; the batch is then re-read, never skipped.
        await publish_dead_letter(self.bus, value=rec.value or b"", key=rec.key, headers=headers)
        self.metrics.events_failed.labels(rec.topic, event_type, reason).inc()
        log.error("dead-lettered %s from %s: %s %s", event_type, rec.topic, reason, detail)
        return Outcome("dead_lettered", reason)
