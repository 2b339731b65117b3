"""After an embedded-broker restart only what some consumer group had not read is published again,
and delivery resumes soon after the broker answers."""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa

from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging.outbox import read_state
from duban_shared.messaging.republish import CONFIRMED_KEY, parse_time
from duban_shared.testing.broker import EmbeddedBroker
from duban_shared.testing.probe import Probe
from duban_shared.testing.publisher import publishing
from duban_shared.testing.services import eventually

pytestmark = pytest.mark.slow
TYPE = UnitUpserted.TYPE


def _units(start: int, n: int) -> list[UnitUpserted]:
    return [UnitUpserted(id=f"u{i % 40}", code=f"c{i}", name=f"单位{i}", kind="school") for i in range(start, start + n)]


async def test_only_unread_events_are_republished_and_delivery_resumes(db_factory, tmp_path, topic_prefix) -> None:
    broker = EmbeddedBroker(log_path=tmp_path / "tansu.log").start()
    a_url, b_url = db_factory.new_url("probe_a"), db_factory.new_url("probe_b")

    def probe(url: str, name: str) -> Probe:
        return Probe(url=url, bootstrap=broker.bootstrap, prefix=topic_prefix, topics=["directory"], types=[TYPE], name=name)

    a, b = probe(a_url, "probe-a"), probe(b_url, "probe-b")
    try:
        async with publishing(db_factory.new_url("pub"), broker.bootstrap, topic_prefix) as pub:
            pub.relay.epoch_check = 3.0  # the services' default, so the resume time is the real one
            await a.start()
            await b.start()
            first = await pub.publish(_units(0, 200))

            async def all_of(p: Probe, ids: list[str]) -> bool:
                counts = await p.counts()
                assert all(v == 1 for v in counts.values()), "applied twice"
                return set(ids) <= set(counts)

            await eventually(lambda: all_of(a, first), timeout=60, what="probe a read the first 200")
            await eventually(lambda: all_of(b, first), timeout=60, what="probe b read the first 200")
            t = pub.tables.outbox
            async with pub.db.engine.connect() as conn:
                last = (await conn.execute(sa.select(sa.func.max(t.c.published_at)))).scalar_one()
            last = parse_time(last.isoformat())

            async def confirmed_past_first() -> bool:
                async with pub.db.engine.connect() as conn:
                    c = parse_time(await read_state(conn, pub.tables, CONFIRMED_KEY))
                return c is not None and last is not None and c >= last

            await eventually(confirmed_past_first, timeout=60, what="the first 200 confirmed as read by both groups")

            await a.stop()  # probe a is down while 50 more go out; probe b reads them
            second = await pub.publish(_units(200, 50))
            await eventually(lambda: all_of(b, second), timeout=60, what="probe b read the next 50")
            await asyncio.sleep(2)  # a few confirmation rounds: they must not confirm what probe a never read

            await asyncio.to_thread(broker.restart)
            up = time.monotonic()
            third = await pub.publish(_units(250, 1))
            await eventually(lambda: all_of(b, third), timeout=60, what="delivery after the restart")
            resumed = time.monotonic() - up
            print(f"delivery resumed {resumed:.1f}s after the broker answered again")

            async def republished() -> bool:
                return pub.relay.metrics.events_republished._value.get() > 0

            await eventually(republished, timeout=30, what="the relay re-publishing")
            # Only the 50 probe a had not read; not the whole history of 250.
            assert pub.relay.metrics.events_republished._value.get() == 50

            a = probe(a_url, "probe-a")
            await a.start()
            await eventually(lambda: all_of(a, first + second + third), timeout=60, what="probe a catching up after the restart")
            await asyncio.sleep(2)
            assert await all_of(b, first + second + third) and len(await b.counts()) == 251
            assert len(await a.counts()) == 251
    finally:
        await a.stop()
        await b.stop()
        broker.stop()
