"""Consumed events: unit.upserted keeps plan-svc's directory copy for resolving unit names."""

from __future__ import annotations

from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from plan_svc.units.service import upsert_unit

router = EventRouter()


@router.handles(UnitUpserted)
async def on_unit_upserted(uow: UnitOfWork, event: UnitUpserted) -> None:
    """Keep the local directory copy."""
    await upsert_unit(session=uow.session, event=event)
