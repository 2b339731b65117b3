"""Reliable messaging: outbox, relay, idempotent consumers, dead letters, broker epochs."""

from duban_shared.messaging.bus import KafkaBus
from duban_shared.messaging.consumer import EventConsumer, Handler, Outcome
from duban_shared.messaging.outbox import Outbox
from duban_shared.messaging.relay import OutboxRelay
from duban_shared.messaging.tables import MessagingTables, messaging_tables

__all__ = [
    "EventConsumer",
    "Handler",
    "KafkaBus",
    "MessagingTables",
    "Outbox",
    "OutboxRelay",
    "Outcome",
    "messaging_tables",
]
