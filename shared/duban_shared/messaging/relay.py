"""The outbox relay: publishes committed outbox rows in order, in batches, and survives restarts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from aiokafka.errors import KafkaError

from duban_shared.db import Database
from duban_shared.events import utcnow
from duban_shared.messaging.bus import KafkaBus, cancel_requested
from duban_shared.messaging.failed import is_permanent, mark_failed, measure_outbox, send_rows
from duban_shared.messaging.outbox import read_state, reset_published_since, write_state
from duban_shared.messaging.republish import CONFIRMED_KEY, Confirmer, parse_time
from duban_shared.messaging.signing import EventSigner
from duban_shared.messaging.tables import MessagingTables
from duban_shared.metrics import ServiceMetrics

log = logging.getLogger(__name__)

EPOCH_KEY = "broker_epoch"
EPOCH_SINCE_KEY = "broker_epoch_since"
# Any constant works: each service has its own database, so relays only meet their own replicas.
RELAY_LOCK_KEY = 0x64756261


class OutboxRelay:
    """Moves outbox rows to Kafka; a crash at any point means a re-send, never a loss."""

    def __init__(
        self,
        *,
        db: Database,
        bus: KafkaBus,
        tables: MessagingTables,
        metrics: ServiceMetrics,
        batch_size: int = 200,
        interval: float = 0.5,
        epoch_check: float = 3.0,
        signer: EventSigner | None = None,
        confirm_interval: float = 5.0,
    ) -> None:
        self.db = db
        self.bus = bus
        self.tables = tables
        self.metrics = metrics
        self.batch_size = batch_size
        self.interval = interval
        self.epoch_check = epoch_check
        self.signer = signer
        self.wake = asyncio.Event()
        self.epoch: str | None = None
        self.epoch_listeners: list[Callable[[str], Awaitable[None]]] = []
        self._next_epoch_check = 0.0
        self.confirmer = Confirmer(db=db, bus=bus, tables=tables)
        self.confirm_interval = confirm_interval
        self._next_confirm = 0.0

    async def run(self) -> None:
        """Loop until cancelled; broker or database outages are waited out."""
        failures = 0
        while True:
            if cancel_requested():
                raise asyncio.CancelledError
            try:
                loop = asyncio.get_running_loop()
                if loop.time() >= self._next_epoch_check:
                    await self.check_epoch()
                    self._next_epoch_check = loop.time() + self.epoch_check
                if self.epoch is not None and loop.time() >= self._next_confirm:
                    self._next_confirm = loop.time() + self.confirm_interval
                    await self.confirm()
                sent = await self.publish_batch()
                failures = 0
                if sent >= self.batch_size:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or DB down: back off, reconnect, try again
                failures += 1
                log.warning("outbox relay: %s (%s)", exc, type(exc).__name__)
                await self.measure_backlog()  # the gauge must keep growing while the broker is unreachable
                if failures % 3 == 0:
                    await self.bus.reset()
                await asyncio.sleep(min(0.5 * failures, 5.0))
                continue
            try:
                # Not wait_for: on 3.11 it swallows a cancel that lands as the event fires, and shutdown hangs.
                async with asyncio.timeout(self.interval):
                    await self.wake.wait()
            except TimeoutError:
                pass
            self.wake.clear()

    async def check_epoch(self) -> bool:
        """Detect a broker that lost its data; mark what it held for re-publishing. True on change."""
        current = await self.bus.epoch()
        async with self.db.engine.begin() as conn:
            stored = await read_state(conn, self.tables, EPOCH_KEY)
            since = await read_state(conn, self.tables, EPOCH_SINCE_KEY)
            if stored == current:
                self.epoch = current
                return False
            reset = 0
            if stored is not None and since is not None:
                # Only what some consumer group may not have read; everything before `confirmed` was read by all.
                start = parse_time(since)
                confirmed = parse_time(await read_state(conn, self.tables, CONFIRMED_KEY))
                if start is not None and confirmed is not None and confirmed > start:
                    start = confirmed
                assert start is not None
                reset = await reset_published_since(conn, self.tables, start)
                self.metrics.events_republished.inc(reset)
            await write_state(conn, self.tables, EPOCH_KEY, current)
            await write_state(conn, self.tables, EPOCH_SINCE_KEY, utcnow().isoformat())
        await self.bus.ensure_topics()
        changed = stored is not None
        if changed:
            self.metrics.broker_epoch_changes.inc()
            log.warning("broker epoch changed %s -> %s: re-publishing %d events", stored, current, reset)
        self.epoch = current
        if changed:
            # A first sighting (fresh database) loses nothing; restarting consumers then only costs a rejoin.
            for listener in self.epoch_listeners:
                await listener(current)
        return changed

    async def confirm(self) -> None:
        """One confirmation round (see republish.py); failures only delay it."""
        try:
            await self.confirmer.round(self.epoch or "")
        except Exception as exc:  # the broker or database is away; the next round tries again
            log.debug("confirmation round failed: %s (%s)", exc, type(exc).__name__)

    async def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows were marked published."""
        t = self.tables.outbox
        producer = await self.bus.require()
        q = sa.select(t.c.seq, t.c.topic, t.c.key, t.c.type, t.c.envelope).where(t.c.published_at.is_(None), t.c.failed_at.is_(None))
        q = q.order_by(t.c.seq).limit(self.batch_size)
        if self.db.is_sqlite:
            async with self.db.engine.connect() as conn:
                rows = (await conn.execute(q)).all()
            done, failed = await self._send(producer, rows)
            if done or failed:
                async with self.db.engine.begin() as conn:
                    await self._mark(conn, done, failed)
        else:
            # Several replicas may relay one database. One at a time (a transaction-scoped advisory
            # lock), or two batches could overtake each other and break per-aggregate order.
            async with self.db.engine.begin() as conn:
                got = (await conn.execute(sa.select(sa.func.pg_try_advisory_xact_lock(RELAY_LOCK_KEY)))).scalar_one()
                rows = (await conn.execute(q.with_for_update(skip_locked=True))).all() if got else []
                done, failed = await self._send(producer, rows)
                if done or failed:
                    await self._mark(conn, done, failed)
        await self.measure_backlog(strict=True)
        return len(done) + len(failed)

    async def measure_backlog(self, strict: bool = False) -> None:
        """Set the outbox gauges (backlog, oldest age, set-aside rows); a database that cannot answer leaves them."""
        try:
            async with self.db.engine.connect() as conn:
                await measure_outbox(conn, self.tables, self.metrics)
        except Exception as exc:  # the database is down too; the relay's own loop reports that
            if strict:
                raise
            log.debug("outbox backlog not measured: %s", exc)

    async def _send(self, producer, rows) -> tuple[list[int], list[tuple[int, str]]]:  # type: ignore[no-untyped-def]
        if not rows:
            return [], []
        results = await send_rows(producer, rows, self.signer)
        done: list[int] = []
        failed: list[tuple[int, str]] = []
        # Stop at the first retriable failure so a later event of the same aggregate is never marked ahead of it.
        # A record the broker can never take is set aside instead: it must not block the rest for ever.
        for r, res in zip(rows, results, strict=True):
            if isinstance(res, BaseException):
                if is_permanent(res):
                    log.error("outbox row %s (%s, %d bytes) set aside: %s", r.seq, r.type, len(r.envelope.encode()), res)
                    failed.append((r.seq, f"{type(res).__name__}: {res}"))
                    self.metrics.outbox_failed_total.labels(r.topic, r.type).inc()
                    continue
                log.warning("publish failed for %s: %s", r.type, res)
                if not done and not failed:
                    raise res if isinstance(res, KafkaError) else KafkaError(str(res))
                break
            done.append(r.seq)
            self.metrics.events_published.labels(r.topic, r.type).inc()
        return done, failed

    async def _mark(self, conn, seqs: list[int], failed: list[tuple[int, str]] = ()) -> None:  # type: ignore[no-untyped-def,assignment]
        t = self.tables.outbox
        if seqs:
            await conn.execute(sa.update(t).where(t.c.seq.in_(seqs)).values(published_at=utcnow()))
        for seq, error in failed:
            await mark_failed(conn, self.tables, seq, error)
