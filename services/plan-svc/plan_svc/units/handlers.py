"""Consumed events: unit.upserted keeps plan-svc's directory copy for resolving unit names."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.app import ServiceContext
from duban_shared.events import Envelope
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging import Handler
from plan_svc.units.service import upsert_unit


def handlers(_ctx: ServiceContext) -> dict[str, Handler]:
    """Handlers of plan-svc's directory consumer."""

    async def on_unit_upserted(session: AsyncSession, _env: Envelope, payload: BaseModel) -> None:
        assert isinstance(payload, UnitUpserted)
        await upsert_unit(session=session, event=payload)

    return {UnitUpserted.TYPE: on_unit_upserted}
