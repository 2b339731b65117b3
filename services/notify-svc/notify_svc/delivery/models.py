"""Deliveries: one row per notice and outbound channel, written with the notice, sent by the worker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from duban_shared.clock import clock
from notify_svc.base import NotifySvcModel


class Delivery(NotifySvcModel, table=True):
    """Sending one notice over one channel to one target: pending, sent, or failed with a reason."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_notification", "notification_id"),
    )
    # Derived from the notice, channel and target: the idempotency key and the email Message-ID.
    id: str = Field(primary_key=True, max_length=36)
    notification_id: str = Field(max_length=36)
    unit_id: str = Field(max_length=36)
    channel: str = Field(max_length=16)
    kind: str = Field(max_length=32)
    # An email address for email; empty for robots (the unit's configured webhook at send time).
    target: str = Field(default="", max_length=254)
    urgent: bool = False
    status: str = Field(default="pending", max_length=8)  # pending | sent | failed
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=clock.now)
    next_attempt_at: datetime = Field(default_factory=clock.now)
    # Held back by no-disturb hours until this instant (also next_attempt_at then).
    held_until: datetime | None = None
    lease_until: datetime | None = None
    sent_at: datetime | None = None
