"""Outbox, inbox and messaging-state tables, built into each service's own metadata."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


@dataclass(frozen=True)
class MessagingTables:
    """The three tables a service needs to publish and consume reliably."""

    outbox: sa.Table
    inbox: sa.Table
    state: sa.Table


def messaging_tables(metadata: sa.MetaData) -> MessagingTables:
    """Define the messaging tables on a service's metadata."""
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("seq", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        # Set when publishing failed with an error retrying cannot fix; the relay skips such rows.
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index("ix_outbox_unpublished", "published_at", "seq"),
        sa.Index("ix_outbox_occurred_at", "occurred_at"),
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_inbox_processed_at", "processed_at"),
    )
    state = sa.Table(
        "messaging_state",
        metadata,
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    return MessagingTables(outbox, inbox, state)
