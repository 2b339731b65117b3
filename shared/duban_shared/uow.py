"""The unit of work: one business transaction's session and outbox, committed by whoever opened it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events import Envelope, IntegrationEvent

if TYPE_CHECKING:
    from duban_shared.messaging.outbox import Outbox


class UnitOfWork:
    """Holds the session and the outbox; service functions add and emit, never commit.

    A request dependency or the consumer owns the commit, so a handler's state changes, the events
    it emits and (for consumers) the inbox row are kept or lost together.
    """

    def __init__(self, session: AsyncSession, outbox: Outbox, *, ctx: Any = None, envelope: Envelope | None = None) -> None:
        self.session = session
        self.outbox = outbox
        self.ctx = ctx
        self.envelope = envelope
        self.emitted: list[Envelope] = []

    async def emit(self, event: IntegrationEvent, *, event_id: str | None = None) -> Envelope:
        """Stage an event in the outbox; it is published only if this unit of work commits (`event_id`: a fixed id)."""
        env = await self.outbox.add(self.session, event, event_id=event_id)
        self.emitted.append(env)
        return env

    async def emit_many(self, events: list[IntegrationEvent], event_ids: list[str | None] | None = None) -> list[Envelope]:
        """Stage many events in one statement."""
        envs = await self.outbox.add_many(self.session, events, event_ids)
        self.emitted.extend(envs)
        return envs

    async def commit(self) -> None:
        """Commit the session (state and outbox rows together)."""
        await self.session.commit()

    async def rollback(self) -> None:
        """Drop everything staged since the last commit."""
        await self.session.rollback()
        self.emitted.clear()
