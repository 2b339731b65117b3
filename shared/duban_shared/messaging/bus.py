"""Kafka connection for one service: a producer, topic administration and the broker epoch.

Works against Apache Kafka and the embedded Tansu broker alike: acks=all, no idempotent
producer, no transactions (Tansu supports neither; correctness comes from outbox + inbox).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from duban_shared.events import DLQ_TOPIC, EPOCH_TOPIC, TOPICS

log = logging.getLogger(__name__)


def cancel_requested() -> bool:
    """True when the current task was asked to stop, even if aiokafka swallowed the CancelledError.

    aiokafka's close paths await their own tasks under contextlib.suppress(CancelledError), which
    also eats a cancel aimed at the caller; the request stays counted on the task, so loops check it.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class KafkaBus:
    """Producer and admin client with reconnects; `epoch()` tells which broker life we talk to."""

    def __init__(self, bootstrap: str, *, client_id: str, topic_prefix: str = "duban", partitions: int = 3,
                 security: dict[str, object] | None = None, session_timeout_ms: int = 10_000) -> None:
        self.bootstrap = bootstrap
        self.session_timeout_ms = session_timeout_ms
        # SASL/TLS options every client of this bus passes to aiokafka (ServiceSettings.kafka_security()).
        self.client_kwargs: dict[str, Any] = dict(security or {})
        self.client_id = client_id
        self.prefix = topic_prefix
        self.partitions = partitions
        self.producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    def topic(self, suffix: str) -> str:
        """Full topic name."""
        return f"{self.prefix}.{suffix}"

    @property
    def all_topics(self) -> list[str]:
        """Every topic duban uses."""
        return [self.topic(t) for t in (*TOPICS, DLQ_TOPIC)]

    async def start(self) -> None:
        """Connect the producer (raises while the broker is unreachable; callers retry)."""
        async with self._lock:
            if self.producer is not None:
                return
            p = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                client_id=self.client_id,
                acks="all",
                enable_idempotence=False,
                linger_ms=5,
                request_timeout_ms=10_000,
                metadata_max_age_ms=5_000,
                **self.client_kwargs,
            )
            try:
                await p.start()
            except BaseException:
                await p.stop()
                raise
            self.producer = p

    async def stop(self) -> None:
        """Flush and close the producer."""
        async with self._lock:
            if self.producer is not None:
                p, self.producer = self.producer, None
                try:
                    await asyncio.wait_for(p.stop(), 10)
                except (KafkaError, OSError, TimeoutError) as exc:
                    log.warning("producer stop failed: %s", exc)

    async def reset(self) -> None:
        """Drop the producer so the next `start` reconnects from scratch."""
        await self.stop()

    async def require(self) -> AIOKafkaProducer:
        """The started producer."""
        if self.producer is None:
            await self.start()
        assert self.producer is not None
        return self.producer

    def _admin(self) -> AIOKafkaAdminClient:
        return AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-admin", request_timeout_ms=10_000,
                                   **self.client_kwargs)

    async def ensure_topics(self, topics: Iterable[str] | None = None, partitions: int | None = None) -> None:
        """Create topics that do not exist yet."""
        wanted = list(topics) if topics is not None else self.all_topics
        admin = self._admin()
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [t for t in wanted if t not in existing]
            if missing:
                n = partitions or self.partitions
                # The epoch topic's first record names the broker's life: it must never expire.
                new = [NewTopic(name=t, num_partitions=n, replication_factor=1,
                                topic_configs={"retention.ms": "-1"} if t == self.topic(EPOCH_TOPIC) else {}) for t in missing]
                try:
                    await admin.create_topics(new)
                except TopicAlreadyExistsError:
                    pass
        finally:
            await admin.close()

    async def ping(self, timeout: float = 3.0) -> None:
        """Raise unless the broker answers a metadata request in time."""
        admin = self._admin()
        try:
            await asyncio.wait_for(admin.start(), timeout)
            await asyncio.wait_for(admin.list_topics(), timeout)
        finally:
            await admin.close()

    async def epoch(self) -> str:
        """The id of this broker's life: the first record of the epoch topic, written if absent.

        The embedded broker keeps everything in memory; after a restart the topic is empty and a
        new id is written. Every service reads the same first record, so all agree on the epoch.
        """
        topic = self.topic(EPOCH_TOPIC)
        await self.ensure_topics([topic], partitions=1)
        first = await self._first_record(topic)
        if first is None:
            producer = await self.require()
            await producer.send_and_wait(topic, value=uuid.uuid4().hex.encode(), key=b"epoch", partition=0)
            first = await self._first_record(topic)
        if first is None:
            raise KafkaError("epoch topic stayed empty")
        return first

    async def _first_record(self, topic: str) -> str | None:
        c = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-epoch", enable_auto_commit=False,
                             **self.client_kwargs)
        await c.start()
        try:
            tp = TopicPartition(topic, 0)
            c.assign([tp])
            await c.seek_to_beginning(tp)
            end = (await c.end_offsets([tp]))[tp]
            if end == 0:
                return None
            batch = await c.getmany(tp, timeout_ms=3000, max_records=1)
            records = batch.get(tp, [])
            return records[0].value.decode() if records else None
        finally:
            await c.stop()


def kafka_client_options(settings: Any) -> dict[str, Any]:
    """aiokafka options for SASL/SCRAM (and TLS) from the DUBAN_KAFKA_* settings."""
    return dict(settings.kafka_security())
