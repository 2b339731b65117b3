"""Consumed events: keep the local directory copy up to date."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events import utcnow
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from report_svc.stats.service import mark_all_dirty
from report_svc.tasks.lines import unit_json
from report_svc.tasks.placement import replace_placement
from report_svc.units.models import Unit


async def upsert_unit(*, session: AsyncSession, event: UnitUpserted) -> Unit:
    """Create or overwrite the local copy of one unit (the last event of a unit wins)."""
    unit = await session.get(Unit, event.id)
    moved = unit is None or (unit.code, unit.kind, unit.parent_id) != (event.code, event.kind, event.parent_id)
    shown = moved or unit is None or unit.name != event.name
    unit = unit or Unit(id=event.id, code=event.code, name=event.name, kind=event.kind)
    unit.code, unit.name, unit.kind = event.code, event.name, event.kind
    unit.parent_id, unit.school_type, unit.active = event.parent_id, event.school_type, event.active
    unit.enrolment = event.enrolment if event.enrolment is None or event.enrolment >= 0 else None
    unit.board_json = unit_json(event.code, event.name)
    unit.updated_at = utcnow()
    session.add(unit)
    if moved:
        await _replace_tasks_placement(session, unit)
    if shown:
        # Not only plans with tasks of this unit visible now: a batch committing concurrently may hold some.
        await mark_all_dirty(session)
    return unit


async def _replace_tasks_placement(session: AsyncSession, unit: Unit) -> None:
    """A new or moved unit: its tasks (and a district's schools' tasks) get their district and sort key again."""
    await session.flush()
    ids = [unit.id]
    if unit.kind == "district":
        ids += list((await session.exec(select(Unit.id).where(Unit.parent_id == unit.id))).all())
    await replace_placement(session, ids)


router = EventRouter()


@router.handles(UnitUpserted)
async def on_unit_upserted(uow: UnitOfWork, event: UnitUpserted) -> None:
    """Keep the local directory copy."""
    await upsert_unit(session=uow.session, event=event)
