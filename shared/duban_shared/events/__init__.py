"""Integration events: the envelope and the one catalogue every service shares."""

from duban_shared.events.catalogue import (
    CATALOGUE,
    DLQ_TOPIC,
    EPOCH_TOPIC,
    TOPICS,
    EventSpec,
    IntegrationEvent,
    lookup,
)
from duban_shared.events.envelope import Envelope, utcnow

__all__ = [
    "CATALOGUE",
    "DLQ_TOPIC",
    "EPOCH_TOPIC",
    "TOPICS",
    "Envelope",
    "EventSpec",
    "IntegrationEvent",
    "lookup",
    "utcnow",
]
