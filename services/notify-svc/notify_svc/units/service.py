"""Look units up in the local directory copy: names for wording, contacts for sending."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared import directory
from notify_svc.units.models import Unit


async def unit_names(*, session: AsyncSession, ids: Iterable[str | None]) -> dict[str, str]:
    """Names of the given units that the local copy knows."""
    return await directory.unit_names(session=session, model=Unit, ids=ids)


async def units_by_id(*, session: AsyncSession, ids: Iterable[str | None]) -> dict[str, Unit]:
    """The local copies of the given units (contacts included)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = (await session.exec(select(Unit).where(col(Unit.id).in_(wanted)))).all()
    return {u.id: u for u in rows}
