"""The one interface every outbound channel implements, and what it is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """What to send: a notice, worded, with a link to the console and a stable idempotency key."""

    delivery_id: str
    notification_id: str
    kind: str
    title: str
    body: str
    link: str
    urgent: bool
    created_at: datetime

    @property
    def idempotency_key(self) -> str:
        """Derived from the notice and channel: a resend after a crash carries the same key."""
        return self.delivery_id


@dataclass(frozen=True)
class Target:
    """Where to send: an email address, or a robot webhook and its signing secret."""

    address: str = ""
    url: str = ""
    secret: str | None = None


class SendError(Exception):
    """A send that failed; `retryable` False means trying again cannot help (bad configuration)."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class ChannelAdapter(Protocol):
    """Sends one message over one channel; raises SendError (or times out) when it did not go out."""

    name: str

    def breaker_key(self, target: Target) -> str:
        """What a circuit breaker guards: one SMTP server, one robot endpoint."""
        ...

    async def send(self, message: Outgoing, target: Target) -> None:
        """Send, or raise SendError."""
        ...
