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
