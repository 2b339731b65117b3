"""The dead-letter topic: publishing with bounded retries, reading it back, requeueing.

Every dead letter keeps the original bytes and key, plus headers saying why (`dlq_reason`,
`dlq_detail`), who gave up (`dlq_consumer`) and where it came from (`dlq_source` = topic/partition/offset).
A requeue re-publishes the original to its topic and appends a marker record (`dlq_requeued`)
to the dead-letter topic, so listings show what was already put back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from duban_shared.events import DLQ_TOPIC
from duban_shared.messaging.bus import KafkaBus
from duban_shared.messaging.failed import is_permanent
from duban_shared.messaging.signing import SIGNED_HEADERS

log = logging.getLogger(__name__)
Headers = list[tuple[str, bytes]]


class DeadLetterUnavailable(Exception):
    """The dead-letter topic did not take a record after the bounded retries; the consumer re-reads it later."""


async def publish_dead_letter(bus: KafkaBus, *, value: bytes, key: bytes | None, headers: Headers,
                              attempts: int = 5, first_delay: float = 0.5) -> None:
    """Send to the dead-letter topic, retrying at most `attempts` times.

    A record too large for the broker goes without its body (`dlq_truncated` = original size; the
    source position header still points at the original). When the broker keeps refusing, raise
    DeadLetterUnavailable: the consumer then reconnects without committing, so nothing is lost.
    """
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            producer = await bus.require()
            await producer.send_and_wait(bus.topic(DLQ_TOPIC), value=value, key=key, headers=headers)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if is_permanent(exc) and value:
                log.warning("dead letter too large (%d bytes): sending its reasons without the body", len(value))
                headers = [*headers, ("dlq_truncated", str(len(value)).encode())]
                value = b""
                continue
            log.warning("dead-letter publish failed (attempt %d/%d): %s", attempt, attempts, exc)
            await bus.reset()
            if attempt < attempts:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
    raise DeadLetterUnavailable(f"dead-letter topic unavailable after {attempts} attempts")


@dataclass
class DeadLetter:
    """One record of the dead-letter topic, decoded."""

    partition: int
    offset: int
    timestamp: datetime
    key: bytes | None
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)
    requeued: int = 0

    @property
    def ref(self) -> str:
        """Stable address within the dead-letter topic: partition:offset."""
        return f"{self.partition}:{self.offset}"

    @property
    def envelope(self) -> dict | None:  # type: ignore[type-arg]
        """The original envelope as JSON, if it parses."""
        try:
            data = json.loads(self.value)
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None

    @property
    def event_id(self) -> str:
        """The original event id, or '?' for a malformed record."""
        env = self.envelope
        return str(env.get("id")) if env and env.get("id") else "?"

    @property
    def event_type(self) -> str:
        """The original event type, or '?'."""
        env = self.envelope
        return str(env.get("type")) if env and env.get("type") else "?"

    @property
    def source_topic(self) -> str | None:
        """The topic the record was read from."""
        src = self.headers.get("dlq_source")
        return src.rsplit("/", 2)[0] if src else None


async def read_dead_letters(bus: KafkaBus, timeout: float = 10.0) -> list[DeadLetter]:
    """Every dead letter currently in the topic, with requeue markers folded in."""
    topic = bus.topic(DLQ_TOPIC)
    c = AIOKafkaConsumer(bootstrap_servers=bus.bootstrap, client_id=f"{bus.client_id}-dlq-reader", enable_auto_commit=False,
                         **bus.client_kwargs)
    await c.start()
    letters: dict[str, DeadLetter] = {}
    markers: list[str] = []
    try:
        await c.topics()  # a fresh client knows no topics until it asks for metadata
        parts = c.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return []
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        ends = await c.end_offsets(tps)
        remaining = {tp for tp in tps if ends[tp] > 0}
        deadline = asyncio.get_running_loop().time() + timeout
        while remaining and asyncio.get_running_loop().time() < deadline:
            batch = await c.getmany(*remaining, timeout_ms=500)
            for tp, recs in batch.items():
                for r in recs:
                    headers = {k: v.decode("utf-8", "replace") for k, v in (r.headers or [])}
                    if "dlq_requeued" in headers:
                        markers.append(headers["dlq_requeued"])
                        continue
                    dl = DeadLetter(r.partition, r.offset, datetime.fromtimestamp(r.timestamp / 1000, UTC), r.key, r.value or b"", headers)
                    letters[dl.ref] = dl
                if recs and recs[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await c.stop()
    for ref in markers:
        if ref in letters:
            letters[ref].requeued += 1
    return sorted(letters.values(), key=lambda d: (d.timestamp, d.partition, d.offset))


def select(letters: list[DeadLetter], *, ids: list[str] | None = None, event_type: str | None = None,
           reason: str | None = None, include_requeued: bool = True) -> list[DeadLetter]:
    """Filter by event id or partition:offset, type and reason."""
    out = []
    for d in letters:
        if ids and d.event_id not in ids and d.ref not in ids:
            continue
        if event_type and d.event_type != event_type:
            continue
        if reason and d.headers.get("dlq_reason") != reason:
            continue
        if not include_requeued and d.requeued:
            continue
        out.append(d)
    return out


async def requeue(bus: KafkaBus, letters: list[DeadLetter]) -> int:
    """Publish each original again to its topic (consumers dedupe by event id), then mark it requeued."""
    producer = await bus.require()
    n = 0
    for d in letters:
        if not d.value or not d.source_topic:
            continue  # the body was too large to keep, or the source is unknown: nothing to re-send
        signed = [(k, d.headers[k].encode()) for k in SIGNED_HEADERS if k in d.headers]  # the owner's own signature
        await producer.send_and_wait(d.source_topic, value=d.value, key=d.key, headers=[*signed, ("dlq_requeued_from", d.ref.encode())])
        await producer.send_and_wait(bus.topic(DLQ_TOPIC), value=b"", key=d.key, headers=[("dlq_requeued", d.ref.encode())])
        n += 1
    return n
