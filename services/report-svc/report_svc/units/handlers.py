"""Consumed events: keep the local directory copy up to date."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events import utcnow
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from report_svc.units.models import Unit


async def upsert_unit(*, session: AsyncSession, event: UnitUpserted) -> Unit:
    """Create or overwrite the local copy of one unit (the last event of a unit wins)."""
    unit = await session.get(Unit, event.id) or Unit(id=event.id, code=event.code, name=event.name, kind=event.kind)
    unit.code, unit.name, unit.kind = event.code, event.name, event.kind
    unit.parent_id, unit.school_type, unit.active = event.parent_id, event.school_type, event.active
    unit.updated_at = utcnow()
    session.add(unit)
    return unit


router = EventRouter()


@router.handles(UnitUpserted)
async def on_unit_upserted(uow: UnitOfWork, event: UnitUpserted) -> None:
    """Keep the local directory copy."""
    await upsert_unit(session=uow.session, event=event)
