"""Outbox relay and idempotent consumer throughput on the embedded broker, against raw aiokafka in the same run."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from duban_shared.events.catalogue import UnitUpserted
from duban_shared.testing.broker import EmbeddedBroker
from duban_shared.testing.probe import Probe
from duban_shared.testing.publisher import Publisher

N = 5000


async def _raw_produce(bootstrap: str, topic: str, values: list[bytes]) -> float:
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=5)
    await p.start()
    try:
        t = time.perf_counter()
        futs = [await p.send(topic, value=v, key=str(i % 50).encode()) for i, v in enumerate(values)]
        await asyncio.gather(*futs)
        return time.perf_counter() - t
    finally:
        await p.stop()


async def _raw_consume(bootstrap: str, topic: str, n: int) -> float:
    c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"raw-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest", enable_auto_commit=False)
    await c.start()
    try:
        t = time.perf_counter()
        got = 0
        while got < n:
            batch = await c.getmany(timeout_ms=500, max_records=200)
            got += sum(len(r) for r in batch.values())
            await c.commit()
        return time.perf_counter() - t
    finally:
        await c.stop()


async def _bench(broker: EmbeddedBroker, tmp: Path) -> list[dict]:
    prefix = f"b{uuid.uuid4().hex[:6]}"
    pub = Publisher(f"sqlite:///{tmp / 'pub.sqlite3'}", broker.bootstrap, prefix)
    async with pub.db.engine.begin() as conn:
        await conn.run_sync(pub.md.create_all)
    await pub.bus.ensure_topics()
    events = [UnitUpserted(id=f"u{i % 50}", code=f"c{i}", name=f"单位{i}", kind="school", school_type="primary") for i in range(N)]
    await pub.publish(events, batch=500)
    async with pub.db.engine.connect() as conn:
        values = [r[0].encode() for r in (await conn.execute(pub.tables.outbox.select().with_only_columns(pub.tables.outbox.c.envelope))).all()]
    await pub.bus.ensure_topics([f"{prefix}.raw"])
    raw_pub = await _raw_produce(broker.bootstrap, f"{prefix}.raw", values)
    await pub.relay.check_epoch()
    t = time.perf_counter()
    while await pub.relay.publish_batch():
        pass
    relay = time.perf_counter() - t
    await pub.bus.stop()
    await pub.db.dispose()

    raw_con = await _raw_consume(broker.bootstrap, f"{prefix}.directory", N)
    probe = Probe(url=f"sqlite:///{tmp / 'probe.sqlite3'}", bootstrap=broker.bootstrap, prefix=prefix, topics=["directory"], types=[UnitUpserted.TYPE])
    await probe.start()
    # Timed from the first applied event, so the consumer-group join is not counted (the raw consumer's is).
    while not await probe.counts():
        await asyncio.sleep(0.01)
    t = time.perf_counter()
    while len(await probe.counts()) < N:
        await asyncio.sleep(0.05)
    consumed = time.perf_counter() - t
    await probe.stop()
    per = 1e6 / N
    return [
        {"name": f"outbox relay, {N} events (SQLite)", "value": relay * per, "raw": raw_pub * per, "ratio": relay / raw_pub, "unit": "µs/event",
         "raw_what": "aiokafka produce of the same records, acks=all"},
        {"name": f"idempotent consumer + inbox, {N} events (SQLite)", "value": consumed * per, "raw": raw_con * per, "ratio": consumed / raw_con,
         "unit": "µs/event", "raw_what": "aiokafka getmany + commit of the same records"},
    ]


def run() -> list[dict]:
    """Run on a private embedded broker and temporary SQLite files."""
    with tempfile.TemporaryDirectory() as d:
        broker = EmbeddedBroker().start()
        try:
            return asyncio.run(_bench(broker, Path(d)))
        finally:
            broker.stop()


if __name__ == "__main__":
    for row in run():
        print(row)
