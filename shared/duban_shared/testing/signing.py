"""Tests that write events straight onto the broker stand in for the owning service, with its key."""

from __future__ import annotations

from pathlib import Path

from duban_shared.events import Envelope, IntegrationEvent
from duban_shared.messaging.signing import TOPIC_OWNERS, signer_for


def owner_envelope(event: IntegrationEvent) -> Envelope:
    """A fresh envelope for the event, from the service that owns its topic."""
    return Envelope(type=event.TYPE, version=event.VERSION, source=TOPIC_OWNERS.get(event.TOPIC, "test"),
                    key=event.partition_key(), payload=event.model_dump(mode="json"))


def signed_headers(keys_dir: Path, prefix: str, topic: str, env: Envelope, value: bytes | None = None) -> list[tuple[str, bytes]]:
    """Kafka headers signing `value` (default: the envelope's bytes) on `topic` as the envelope's source."""
    signer = signer_for(keys_dir, env.source, prefix, create=True)
    assert signer is not None
    return signer.headers(topic, env.to_bytes() if value is None else value)


async def dead_letters(bootstrap: str, topic: str, n: int, timeout: float = 20) -> list[tuple[str, bytes]]:
    """Read up to n records of the dead-letter topic: (reason header, original bytes)."""
    import asyncio

    from aiokafka import AIOKafkaConsumer

    c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await c.start()
    out: list[tuple[str, bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(out) < n and asyncio.get_running_loop().time() < deadline:
            for records in (await c.getmany(timeout_ms=500)).values():
                out += [(dict(r.headers)["dlq_reason"].decode(), r.value or b"") for r in records]
    finally:
        await c.stop()
    return out
