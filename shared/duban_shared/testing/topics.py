"""Read what landed on a topic, for tests that check emitted events."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer

from duban_shared.events import Envelope


async def read_envelopes(bootstrap: str, topic: str, *, count: int, timeout: float = 30.0, types: set[str] | None = None) -> list[Envelope]:
    """Read envelopes from the beginning of a topic until `count` (of `types`, if given) arrived or time ran out."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False, metadata_max_age_ms=1000)
    await consumer.start()
    out: list[Envelope] = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                for rec in records:
                    env = Envelope.model_validate_json(rec.value)
                    if types is None or env.type in types:
                        out.append(env)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return out
