"""Keep the local directory copy current and look names up."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events import utcnow
from duban_shared.events.catalogue import UnitUpserted
from notify_svc.units.models import Unit


async def upsert_unit(*, session: AsyncSession, event: UnitUpserted) -> Unit:
    """Create or overwrite the local copy of one unit."""
    unit = await session.get(Unit, event.id)
    if unit is None:
        unit = Unit(id=event.id, code=event.code, name=event.name, kind=event.kind)
    unit.sqlmodel_update(
        {"code": event.code, "name": event.name, "kind": event.kind, "parent_id": event.parent_id,
         "school_type": event.school_type, "active": event.active, "updated_at": utcnow()}
    )
    session.add(unit)
    return unit


async def unit_names(*, session: AsyncSession, ids: Iterable[str | None]) -> dict[str, str]:
    """Names of the given units that the local copy knows."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = (await session.exec(select(Unit.id, Unit.name).where(Unit.id.in_(wanted)))).all()  # type: ignore[attr-defined]
    return {i: n for i, n in rows}
