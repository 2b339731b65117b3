"""Outbox → relay → Kafka → idempotent consumer, on the real embedded broker and real databases."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from duban_shared.events import Envelope, utcnow
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging import KafkaBus
from duban_shared.testing.probe import probing
from duban_shared.testing.publisher import Publisher, publishing
from duban_shared.testing.services import eventually

TOPIC = "directory"
TYPE = UnitUpserted.TYPE


def _unit(i: int, keys: int = 50) -> UnitUpserted:
    return UnitUpserted(id=f"u{i % keys}", code=f"c{i}", name=f"单位{i}", kind="school", school_type="primary")


class Writer:
    """The shared test publisher plus `write(n)`: n unit events, 50 aggregates."""

    def __init__(self, pub: Publisher) -> None:
        self.pub = pub
        self.db, self.outbox, self.relay = pub.db, pub.outbox, pub.relay

    async def write(self, n: int, start: int = 0, keys: int = 50) -> list[str]:
        """Commit n events in batches of 100; returns their ids."""
        return await self.pub.publish([_unit(i, keys) for i in range(start, start + n)])


@contextlib.asynccontextmanager
async def publisher(url: str, bootstrap: str, prefix: str, relay: bool = True) -> AsyncIterator[Writer]:
    async with publishing(url, bootstrap, prefix, relay=relay) as p:
        yield Writer(p)


async def _all_once(probe, ids: list[str], timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    async def check() -> bool:
        counts = await probe.counts()
        assert all(v == 1 for v in counts.values()), f"applied twice: {[k for k, v in counts.items() if v != 1][:5]}"
        return set(ids) <= set(counts)

    await eventually(check, timeout=timeout, what=f"{len(ids)} events applied once each")
    counts = await probe.counts()
    assert len(counts) == len(ids) and set(counts.values()) == {1}


async def test_outbox_events_arrive_once_each(db_factory, broker, topic_prefix) -> None:
    """Every committed outbox row is published and takes effect exactly once."""
    async with publisher(db_factory.new_url("pub"), broker.bootstrap, topic_prefix) as pub, \
            probing(url=db_factory.new_url("probe"), bootstrap=broker.bootstrap, prefix=topic_prefix, topics=[TOPIC], types=[TYPE]) as probe:
        ids = await pub.write(600)
        await _all_once(probe, ids)
        async with pub.db.engine.connect() as conn:
            assert await pub.outbox.backlog(conn) == 0


async def test_rolled_back_transaction_publishes_nothing(db_factory, broker, topic_prefix) -> None:
    """An event staged in a transaction that rolls back never leaves the service."""
    async with publisher(db_factory.new_url("pub"), broker.bootstrap, topic_prefix) as pub, \
            probing(url=db_factory.new_url("probe"), bootstrap=broker.bootstrap, prefix=topic_prefix, topics=[TOPIC], types=[TYPE]) as probe:
        async with pub.db.sessionmaker() as s:
            lost = await pub.outbox.add(s, UnitUpserted(id="x", code="x", name="回滚", kind="district"))
            await s.rollback()
        kept = await pub.write(1)
        await _all_once(probe, kept)
        assert lost.id not in await probe.counts()


async def test_redelivery_changes_nothing(db_factory, broker, topic_prefix) -> None:
    """A second consumer of the same group name re-reading from the start applies nothing again."""
    probe_url = db_factory.new_url("probe")
    async with publisher(db_factory.new_url("pub"), broker.bootstrap, topic_prefix) as pub:
        async with probing(url=probe_url, bootstrap=broker.bootstrap, prefix=topic_prefix, topics=[TOPIC], types=[TYPE]) as probe:
            ids = await pub.write(200)
            await _all_once(probe, ids)
        # Same inbox (database and consumer name), fresh offsets: every record is delivered again.
        async with probing(url=probe_url, bootstrap=broker.bootstrap, prefix=topic_prefix, topics=[TOPIC], types=[TYPE], group="probe-again") as again:
            last = await pub.write(1, start=10_000)

            async def redelivered() -> bool:
                return last[0] in await again.counts()

            # The new group starts from the earliest offset, so all 200 old records are read before the new one.
            await eventually(redelivered, what="the new event after the redelivered ones")
            counts = await again.counts()
            assert len(counts) == 201 and set(counts.values()) == {1}


async def test_broker_restart_mid_stream_loses_nothing(db_factory, broker, topic_prefix) -> None:
    """The embedded broker forgets everything on restart; the relay notices and re-publishes."""
    async with publisher(db_factory.new_url("pub"), broker.bootstrap, topic_prefix) as pub, \
            probing(url=db_factory.new_url("probe"), bootstrap=broker.bootstrap, prefix=topic_prefix, topics=[TOPIC], types=[TYPE]) as probe:
        ids = await pub.write(500)
        await eventually(lambda: _some(probe), what="first events consumed")
        broker.restart()
        ids += await pub.write(500, start=500)
        await _all_once(probe, ids, timeout=120)
        assert pub.relay.metrics.broker_epoch_changes._value.get() >= 1


async def _some(probe) -> bool:  # type: ignore[no-untyped-def]
    return len(await probe.counts()) > 0


async def test_poison_events_go_to_dead_letter_topic(db_factory, broker, topic_prefix) -> None:
    """Malformed bytes, an unknown type and an invalid payload are dead-lettered; the next good event is handled."""
    bus = KafkaBus(broker.bootstrap, client_id="t", topic_prefix=topic_prefix)
    await bus.ensure_topics()
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    topic = f"{topic_prefix}.{TOPIC}"
    good = Envelope(type=TYPE, source="t", key="u1", payload=UnitUpserted(id="u1", code="c1", name="好", kind="district").model_dump(mode="json"))
    try:
        async with probing(url=db_factory.new_url("probe"), bootstrap=broker.bootstrap, prefix=topic_prefix, topics=[TOPIC], types=[TYPE]) as probe:
            await producer.send_and_wait(topic, b"{not json", key=b"u1")
            unknown = Envelope(type="unit.teleported", version=1, source="t", key="u1", payload={})
            await producer.send_and_wait(topic, unknown.to_bytes(), key=b"u1")
            future = Envelope(type=TYPE, version=99, source="t", key="u1", payload={})
            await producer.send_and_wait(topic, future.to_bytes(), key=b"u1")
            invalid = Envelope(type=TYPE, source="t", key="u1", payload={"id": "u1"})
            await producer.send_and_wait(topic, invalid.to_bytes(), key=b"u1")
            await producer.send_and_wait(topic, good.to_bytes(), key=b"u1")
            await eventually(lambda: _has(probe, good.id), what="good event handled after poison")
    finally:
        await producer.stop()
        await bus.stop()
    reasons = await _dead_letters(broker.bootstrap, f"{topic_prefix}.dlq", 4)
    assert sorted(reasons) == sorted(["malformed", "unknown_type", "unknown_type", "invalid_payload"])


async def _has(probe, event_id: str) -> bool:  # type: ignore[no-untyped-def]
    return event_id in await probe.counts()


async def _dead_letters(bootstrap: str, topic: str, n: int) -> list[str]:
    c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await c.start()
    reasons: list[str] = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while len(reasons) < n and asyncio.get_running_loop().time() < deadline:
            batch = await c.getmany(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    reasons.append(dict(r.headers)["dlq_reason"].decode())
    finally:
        await c.stop()
    return reasons


@pytest.mark.parametrize("n", [3])
async def test_per_key_order_holds(db_factory, broker, topic_prefix, n: int) -> None:
    """Events of one aggregate are consumed in the order they were committed."""
    seen: dict[str, list[int]] = {}
    async with publisher(db_factory.new_url("pub"), broker.bootstrap, topic_prefix) as pub, \
            probing(url=db_factory.new_url("probe"), bootstrap=broker.bootstrap, prefix=topic_prefix, topics=[TOPIC], types=[TYPE]) as probe:
        original = probe.consumer.handlers[TYPE]

        async def recording(uow, payload):  # type: ignore[no-untyped-def]
            seen.setdefault(uow.envelope.key, []).append(int(payload.code[1:]))
            await original(uow, payload)

        probe.consumer.handlers[TYPE] = recording
        ids = await pub.write(300, keys=n)
        await _all_once(probe, ids)
    for key, codes in seen.items():
        assert codes == sorted(codes), f"out of order for {key}"
    assert utcnow()
