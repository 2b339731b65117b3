"""The unit of work, the typed handler registry and the business clock, without a broker."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from duban_shared.clock import Clock, business_today, clock
from duban_shared.db import Database
from duban_shared.events.catalogue import PlanPublished, UnitUpserted
from duban_shared.messaging import Outbox, messaging_tables
from duban_shared.messaging.handlers import EventRouter, merge_routers
from duban_shared.uow import UnitOfWork


def test_router_registers_typed_handlers_once() -> None:
    """A router maps each event type to one handler; a second registration is refused."""
    r = EventRouter()

    @r.handles(UnitUpserted, PlanPublished)
    async def on_event(uow: UnitOfWork, event: UnitUpserted) -> None:
        return None

    assert set(r.handlers) == {"unit.upserted", "plan.published"}
    with pytest.raises(ValueError):
        r.handles(UnitUpserted)(on_event)
    other = EventRouter()
    other.handles(UnitUpserted)(on_event)
    with pytest.raises(ValueError):
        merge_routers([r, other])


async def test_uow_commits_state_and_events_together(tmp_path) -> None:
    """Emitted events are outbox rows that exist only when the unit of work commits."""
    md = sa.MetaData()
    tables = messaging_tables(md)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'u.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(md.create_all)
    outbox = Outbox(tables, source="t", topic_prefix="p")
    event = UnitUpserted(id="u1", code="c", name="n", kind="school")
    async with db.sessionmaker() as session:
        uow = UnitOfWork(session, outbox)
        await uow.emit(event)
        await uow.rollback()
        assert uow.emitted == []
    async with db.sessionmaker() as session:
        uow = UnitOfWork(session, outbox)
        env = await uow.emit(event)
        await uow.commit()
    async with db.engine.connect() as conn:
        ids = [r[0] for r in (await conn.execute(sa.select(tables.outbox.c.event_id))).all()]
    await db.dispose()
    assert ids == [env.id]


def test_business_date_is_shanghai() -> None:
    """16:30 UTC is already the next day in Shanghai; the shared clock can be frozen and moved."""
    c = Clock()
    c.freeze(datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    assert c.now().date() == date(2026, 3, 1)
    clock.freeze(datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    try:
        assert business_today() == date(2026, 3, 2)
        clock.advance(timedelta(days=1))
        assert business_today() == date(2026, 3, 3)
    finally:
        clock.unfreeze()
