"""Dead letters read back and requeued, bounded dead-letter retries, and retention of outbox and inbox rows."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from duban_shared.db import Database
from duban_shared.events import utcnow
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging import EventConsumer, KafkaBus, messaging_tables
from duban_shared.messaging.dlq import (
    DeadLetterUnavailable,
    publish_dead_letter,
    read_dead_letters,
    requeue,
    select,
)
from duban_shared.messaging.outbox import write_state
from duban_shared.messaging.republish import CONFIRMED_KEY
from duban_shared.messaging.retention import RetentionPolicy, prune
from duban_shared.messaging.signing import EventVerifier
from duban_shared.metrics import ServiceMetrics
from duban_shared.testing import TEST_SESSION_TIMEOUT_MS, publisher
from duban_shared.testing.broker import free_port
from duban_shared.testing.publisher import publishing
from duban_shared.testing.services import eventually
from duban_shared.uow import UnitOfWork

TYPE = UnitUpserted.TYPE


async def test_a_dead_letter_is_listed_with_its_reason_and_requeued_once_fixed(db_factory, broker, topic_prefix) -> None:
    md = sa.MetaData()
    tables = messaging_tables(md)
    db = Database(db_factory.new_url("c"))
    async with db.engine.begin() as conn:
        await conn.run_sync(md.create_all)
    handled: list[str] = []
    broken = {"on": True}

    async def handler(uow: UnitOfWork, _event: object) -> None:
        if broken["on"]:
            raise RuntimeError("目录服务暂缺字段")
        assert uow.envelope is not None
        handled.append(uow.envelope.id)

    bus = KafkaBus(broker.bootstrap, client_id="c", topic_prefix=topic_prefix, session_timeout_ms=TEST_SESSION_TIMEOUT_MS)
    # It checks signatures as every service does: the requeued original must still carry its owner's.
    verifier = EventVerifier(publisher.DEFAULT_KEYS_DIR, topic_prefix)  # type: ignore[arg-type]
    consumer = EventConsumer(name="c", topics=["directory"], handlers={TYPE: handler}, db=db, bus=bus, tables=tables,
                             metrics=ServiceMetrics("c"), retries=1, backoff=0.01, verifier=verifier)
    task = asyncio.create_task(consumer.run())
    try:
        async with publishing(db_factory.new_url("pub"), broker.bootstrap, topic_prefix) as pub:
            [bad] = await pub.publish([UnitUpserted(id="u1", code="c1", name="一中", kind="school")])

            async def listed() -> list:  # type: ignore[type-arg]
                return select(await read_dead_letters(bus), ids=[bad])

            [letter] = await eventually(listed, timeout=60, what="the dead letter")
            assert letter.headers["dlq_reason"] == "handler_failed" and "目录服务暂缺字段" in letter.headers["dlq_detail"]
            assert letter.headers["duban-signer"] == "task-svc" and letter.headers["duban-sig"]
            assert letter.event_type == TYPE and letter.source_topic == f"{topic_prefix}.directory" and letter.requeued == 0
            assert select(await read_dead_letters(bus), event_type="task.created") == []

            broken["on"] = False
            assert await requeue(bus, [letter]) == 1
            await eventually(lambda: _true(bad in handled), timeout=60, what="the requeued event handled")
            [again] = select(await read_dead_letters(bus), ids=[letter.ref])
            assert again.requeued == 1
            assert select(await read_dead_letters(bus), include_requeued=False) == []
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await bus.stop()
        await db.dispose()
    assert handled == [bad]


async def _true(v: bool) -> bool:
    return v


async def test_a_dead_letter_too_large_for_the_broker_keeps_its_reasons(broker, topic_prefix) -> None:
    bus = KafkaBus(broker.bootstrap, client_id="big", topic_prefix=topic_prefix)
    await bus.ensure_topics()
    try:
        await publish_dead_letter(bus, value=b"x" * 1_200_000, key=b"k",
                                  headers=[("dlq_reason", b"handler_failed"), ("dlq_source", f"{topic_prefix}.plan/0/7".encode())])
        [letter] = await read_dead_letters(bus)
        assert letter.value == b"" and letter.headers["dlq_truncated"] == "1200000"
        assert letter.headers["dlq_reason"] == "handler_failed" and letter.headers["dlq_source"].endswith("/0/7")
    finally:
        await bus.stop()


async def test_the_dead_letter_path_gives_up_after_bounded_retries(topic_prefix) -> None:
    bus = KafkaBus(f"127.0.0.1:{free_port()}", client_id="nobroker", topic_prefix=topic_prefix)
    try:
        with pytest.raises(DeadLetterUnavailable):
            await publish_dead_letter(bus, value=b"v", key=None, headers=[], attempts=2, first_delay=0.01)
    finally:
        await bus.stop()


async def test_retention_keeps_what_replay_and_dedup_still_need(db_factory) -> None:
    md = sa.MetaData()
    t = messaging_tables(md)
    db = Database(db_factory.new_url("r"))
    now = utcnow()
    old, recent = now - timedelta(days=10), now - timedelta(hours=1)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(md.create_all)
            older = old - timedelta(hours=1)
            for seq, (published, occurred) in enumerate([(older, older), (old, old), (recent, recent), (None, old)], start=1):
                await conn.execute(sa.insert(t.outbox).values(seq=seq, event_id=f"e{seq}", topic="x", key="k", type="t", version=1,
                                                              envelope="{}", occurred_at=occurred, published_at=published))
            for i, when in enumerate([now - timedelta(days=40), now - timedelta(days=9), now]):
                await conn.execute(sa.insert(t.inbox).values(consumer="c", event_id=f"i{i}", type="t", processed_at=when))
        policy = RetentionPolicy(outbox=timedelta(days=7), inbox=timedelta(days=1))
        # The dedup window follows the outbox's: an event can come back while its outbox row exists.
        assert policy.inbox_window == timedelta(days=8)
        dry = await prune(db.engine, t, policy, dry_run=True)
        assert (dry.outbox, dry.inbox) == (2, 2)

            # A memory-only broker: seq 2 was not yet read by every consumer group, so it stays.
        async with db.engine.begin() as conn:
            await write_state(conn, t, CONFIRMED_KEY, (old - timedelta(minutes=30)).isoformat())
        done = await prune(db.engine, t, policy)
        assert (done.outbox, done.inbox) == (1, 2)
        async with db.engine.connect() as conn:
            seqs = sorted(r[0] for r in (await conn.execute(sa.select(t.outbox.c.seq))).all())
            inbox = sorted(r[0] for r in (await conn.execute(sa.select(t.inbox.c.event_id))).all())
        assert seqs == [2, 3, 4] and inbox == ["i2"]
    finally:
        await db.dispose()
