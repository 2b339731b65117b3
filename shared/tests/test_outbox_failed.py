"""A poisoned outbox: oversized events are refused at the source, and a row the broker can never take
is set aside (failed) so later events still flow; requeueing puts it back in line."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging.failed import EventTooLarge, list_failed, requeue_failed
from duban_shared.testing.probe import probing
from duban_shared.testing.publisher import publishing
from duban_shared.testing.services import eventually

TYPE = UnitUpserted.TYPE


def _unit(i: int, name_len: int = 4) -> UnitUpserted:
    return UnitUpserted(id=f"u{i}", code=f"c{i}", name="名" * name_len, kind="school", school_type="primary")


async def test_an_event_over_the_limit_is_refused_with_422_and_nothing_is_written(db_factory, broker, topic_prefix) -> None:
    async with publishing(db_factory.new_url("pub"), broker.bootstrap, topic_prefix, relay=False) as pub:
        pub.outbox.max_bytes = 2_000
        async with pub.db.sessionmaker() as s:
            await pub.outbox.add(s, _unit(1))
            with pytest.raises(EventTooLarge) as err:
                await pub.outbox.add(s, _unit(2, name_len=1_000))
            await s.commit()
        assert err.value.status == 422 and err.value.code == "event_too_large"
        assert err.value.size > 2_000 and "拆分" in err.value.message
        async with pub.db.engine.connect() as conn:
            assert (await conn.execute(sa.select(sa.func.count()).select_from(pub.tables.outbox))).scalar_one() == 1


async def test_the_default_limit_stays_below_what_the_broker_client_accepts(db_factory, broker, topic_prefix) -> None:
    async with publishing(db_factory.new_url("pub"), broker.bootstrap, topic_prefix, relay=False) as pub:
        assert pub.outbox.max_bytes < 1_048_576  # aiokafka's max_request_size
        async with pub.db.sessionmaker() as s:
            with pytest.raises(EventTooLarge):
                await pub.outbox.add(s, _unit(1, name_len=400_000))  # ~1.2 MB of UTF-8


async def test_an_unpublishable_row_is_set_aside_and_later_events_flow(db_factory, broker, topic_prefix) -> None:
    async with publishing(db_factory.new_url("pub"), broker.bootstrap, topic_prefix) as pub, \
            probing(url=db_factory.new_url("probe"), bootstrap=broker.bootstrap, prefix=topic_prefix, topics=["directory"], types=[TYPE]) as probe:
        pub.outbox.max_bytes = 5_000_000  # as if written before the limit existed: 1.2 MB, over the producer's 1 MB
        first = await pub.publish([_unit(1)])
        poisoned = await pub.publish([_unit(2, name_len=400_000)])
        later = await pub.publish([_unit(i) for i in range(3, 8)])

        async def arrived() -> bool:
            return set(first + later) <= set(await probe.counts())

        await eventually(arrived, timeout=60, what="events after the poisoned one")
        assert poisoned[0] not in await probe.counts()
        async with pub.db.engine.connect() as conn:
            failed = await list_failed(conn, pub.tables)
        assert [f.event_id for f in failed] == poisoned
        assert "MessageSizeTooLarge" in (failed[0].error or "") and failed[0].attempts == 1 and failed[0].bytes > 1_048_576
        await pub.relay.measure_backlog()
        m = pub.relay.metrics
        assert m.outbox_failed._value.get() == 1 and m.outbox_backlog._value.get() == 0
        assert m.outbox_failed_total.labels(f"{topic_prefix}.directory", TYPE)._value.get() == 1

        # Requeued, it is tried again (and, still too large, set aside again rather than blocking).
        async with pub.db.engine.begin() as conn:
            assert await requeue_failed(conn, pub.tables, event_ids=poisoned) == 1
        pub.relay.wake.set()
        more = await pub.publish([_unit(9)])

        async def set_aside_again() -> bool:
            async with pub.db.engine.connect() as conn:
                rows = await list_failed(conn, pub.tables)
            return bool(rows) and rows[0].attempts == 2

        await eventually(set_aside_again, timeout=30, what="the requeued row tried again")
        await eventually(lambda: _has(probe, more[0]), timeout=30, what="the next event")


async def _has(probe, event_id: str) -> bool:  # type: ignore[no-untyped-def]
    return event_id in await probe.counts()


async def test_kafka_sasl_settings_reach_every_client() -> None:
    """SASL/SCRAM from the environment becomes aiokafka options that the clients accept."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient

    from duban_shared.messaging import KafkaBus
    from duban_shared.settings import ServiceSettings

    assert ServiceSettings().kafka_security() == {}
    s = ServiceSettings(DUBAN_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT", DUBAN_KAFKA_USERNAME="task-svc", DUBAN_KAFKA_PASSWORD="pw")
    opts = s.kafka_security()
    assert opts == {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
                    "sasl_plain_username": "task-svc", "sasl_plain_password": "pw"}
    bus = KafkaBus("k:9092", client_id="x", security=opts)
    for cls in (AIOKafkaProducer, AIOKafkaConsumer, AIOKafkaAdminClient):
        client = cls(bootstrap_servers=bus.bootstrap, **bus.client_kwargs)
        assert client is not None
        if hasattr(client, "_closed"):
            client._closed = True  # never started: nothing to close, and no "unclosed" warning
    assert "ssl_context" in ServiceSettings(DUBAN_KAFKA_SECURITY_PROTOCOL="SASL_SSL", DUBAN_KAFKA_USERNAME="a",
                                            DUBAN_KAFKA_PASSWORD="b").kafka_security()
