"""Edit a plan's draft: plan fields, sections, items and indicators — add, change, delete, reorder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.errors import AppError, not_found
from duban_shared.events import utcnow
from plan_svc.editing.schemas import (
    IndicatorCreate,
    IndicatorPatch,
    ItemCreate,
    ItemMove,
    PlanPatch,
    SectionCreate,
    SectionPatch,
)
from plan_svc.plans.models import Indicator, Item, Plan, Section
from plan_svc.plans.service import get_plan, new_id
from plan_svc.units.service import reresolve_units

M = TypeVar("M", Section, Item, Indicator)


def touch(plan: Plan, session: AsyncSession) -> None:
    """Mark an edit: a published plan becomes dirty, i.e. due for a new version."""
    plan.dirty = plan.version > 0
    plan.updated_at = utcnow()
    session.add(plan)


def place(rows: Sequence[M], row: M, position: int | None) -> None:
    """Insert `row` among `rows` (already ordered) at `position` and renumber."""
    ordered = [r for r in rows if r.id != row.id]
    ordered.insert(len(ordered) if position is None else min(position, len(ordered)), row)
    for i, r in enumerate(ordered):
        r.position = i


def reorder(rows: Sequence[M], ids: list[str], what: str) -> None:
    """Apply a complete new order; the ids must be exactly those of `rows`."""
    if sorted(ids) != sorted(r.id for r in rows):
        raise AppError(422, "bad_order", f"新的顺序必须恰好包含该{what}下的全部条目，且每个只出现一次")
    pos = {i: n for n, i in enumerate(ids)}
    for r in rows:
        r.position = pos[r.id]


async def patch_plan(*, session: AsyncSession, plan_id: str, patch: PlanPatch) -> Plan:
    """Change plan-level fields."""
    plan = await get_plan(session=session, plan_id=plan_id)
    for k, v in patch.model_dump(exclude_unset=True).items():
        if k == "title" and v is None:
            continue
        setattr(plan, k, v)
    touch(plan, session)
    return plan


async def _sections(session: AsyncSession, plan_id: str) -> list[Section]:
    return list((await session.exec(select(Section).where(Section.plan_id == plan_id).order_by(Section.position))).all())


async def _items(session: AsyncSession, section_id: str) -> list[Item]:
    return list((await session.exec(select(Item).where(Item.section_id == section_id).order_by(Item.position))).all())


async def _indicators(session: AsyncSession, item_id: str) -> list[Indicator]:
    return list((await session.exec(select(Indicator).where(Indicator.item_id == item_id).order_by(Indicator.position))).all())


async def get_section(*, session: AsyncSession, plan_id: str, section_id: str) -> Section:
    """A section of the plan, or 404."""
    s = await session.get(Section, section_id)
    if s is None or s.plan_id != plan_id:
        raise not_found("计划章节")
    return s


async def get_item(*, session: AsyncSession, plan_id: str, item_id: str) -> Item:
    """An item of the plan, or 404."""
    it = await session.get(Item, item_id)
    if it is None or it.plan_id != plan_id:
        raise not_found("计划条目")
    return it


async def get_indicator(*, session: AsyncSession, plan_id: str, item_id: str, indicator_id: str) -> Indicator:
    """An indicator of the item, or 404."""
    await get_item(session=session, plan_id=plan_id, item_id=item_id)
    ind = await session.get(Indicator, indicator_id)
    if ind is None or ind.item_id != item_id:
        raise not_found("指标")
    return ind


async def add_section(*, session: AsyncSession, plan_id: str, data: SectionCreate) -> Section:
    """Add a section."""
    plan = await get_plan(session=session, plan_id=plan_id)
    s = Section(id=new_id(), plan_id=plan.id, position=0, number=data.number, title=data.title)
    place(await _sections(session, plan.id), s, data.position)
    session.add(s)
    touch(plan, session)
    return s


async def patch_section(*, session: AsyncSession, plan_id: str, section_id: str, patch: SectionPatch) -> Section:
    """Rename or renumber a section."""
    plan = await get_plan(session=session, plan_id=plan_id)
    s = await get_section(session=session, plan_id=plan_id, section_id=section_id)
    for k, v in patch.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(s, k, v)
    session.add(s)
    touch(plan, session)
    return s


async def delete_section(*, session: AsyncSession, plan_id: str, section_id: str) -> None:
    """Delete a section with its items and their indicators."""
    plan = await get_plan(session=session, plan_id=plan_id)
    s = await get_section(session=session, plan_id=plan_id, section_id=section_id)
    for it in await _items(session, s.id):
        await _delete_item_rows(session, it)
    await session.delete(s)
    await session.flush()
    for i, rest in enumerate(await _sections(session, plan.id)):
        rest.position = i
    touch(plan, session)


async def reorder_sections(*, session: AsyncSession, plan_id: str, ids: list[str]) -> None:
    """Put the plan's sections in a new order."""
    plan = await get_plan(session=session, plan_id=plan_id)
    reorder(await _sections(session, plan.id), ids, "计划")
    touch(plan, session)


async def add_item(*, session: AsyncSession, plan_id: str, data: ItemCreate) -> Item:
    """Add an item to a section."""
    plan = await get_plan(session=session, plan_id=plan_id)
    s = await get_section(session=session, plan_id=plan_id, section_id=data.section_id)
    fields = data.model_dump(exclude={"section_id", "position", "indicators"})
    it = Item(id=new_id(), plan_id=plan.id, section_id=s.id, position=0, **fields)
    place(await _items(session, s.id), it, data.position)
    session.add(it)
    await session.flush()
    for n, ind in enumerate(data.indicators):
        session.add(Indicator(id=new_id(), item_id=it.id, position=n, **ind.model_dump()))
    if (data.lead_units or data.supporting_units) and not (data.lead_unit_ids or data.supporting_unit_ids):
        await reresolve_units(session=session, item=it)  # unit names typed in: resolve them as an edit would
    touch(plan, session)
    return it


async def _delete_item_rows(session: AsyncSession, it: Item) -> None:
    for ind in await _indicators(session, it.id):
        await session.delete(ind)
    await session.delete(it)


async def delete_item(*, session: AsyncSession, plan_id: str, item_id: str) -> None:
    """Delete an item and its indicators."""
    plan = await get_plan(session=session, plan_id=plan_id)
    it = await get_item(session=session, plan_id=plan_id, item_id=item_id)
    await _delete_item_rows(session, it)
    await session.flush()
    for i, rest in enumerate(await _items(session, it.section_id)):
        rest.position = i
    touch(plan, session)


async def reorder_items(*, session: AsyncSession, plan_id: str, section_id: str, ids: list[str]) -> Section:
    """Put a section's items in a new order."""
    plan = await get_plan(session=session, plan_id=plan_id)
    s = await get_section(session=session, plan_id=plan_id, section_id=section_id)
    reorder(await _items(session, s.id), ids, "章节")
    touch(plan, session)
    return s


async def move_item(*, session: AsyncSession, plan_id: str, item_id: str, move: ItemMove) -> Item:
    """Move an item to a position in a section (its own or another)."""
    plan = await get_plan(session=session, plan_id=plan_id)
    it = await get_item(session=session, plan_id=plan_id, item_id=item_id)
    target = await get_section(session=session, plan_id=plan_id, section_id=move.section_id)
    old_section = it.section_id
    it.section_id = target.id
    place(await _items(session, target.id), it, move.position)
    session.add(it)
    await session.flush()
    if old_section != target.id:
        for i, rest in enumerate(await _items(session, old_section)):
            rest.position = i
    touch(plan, session)
    return it


async def add_indicator(*, session: AsyncSession, plan_id: str, item_id: str, data: IndicatorCreate) -> Indicator:
    """Add an indicator to an item."""
    plan = await get_plan(session=session, plan_id=plan_id)
    it = await get_item(session=session, plan_id=plan_id, item_id=item_id)
    ind = Indicator(id=new_id(), item_id=it.id, position=0, **data.model_dump(exclude={"position"}))
    place(await _indicators(session, it.id), ind, data.position)
    session.add(ind)
    touch(plan, session)
    return ind


async def patch_indicator(*, session: AsyncSession, plan_id: str, item_id: str, indicator_id: str, patch: IndicatorPatch) -> Indicator:
    """Change an indicator; `target` may be set to null (unknown)."""
    plan = await get_plan(session=session, plan_id=plan_id)
    ind = await get_indicator(session=session, plan_id=plan_id, item_id=item_id, indicator_id=indicator_id)
    for k, v in patch.model_dump(exclude_unset=True).items():
        if v is None and k != "target":
            continue
        setattr(ind, k, v)
    session.add(ind)
    touch(plan, session)
    return ind


async def delete_indicator(*, session: AsyncSession, plan_id: str, item_id: str, indicator_id: str) -> None:
    """Delete an indicator."""
    plan = await get_plan(session=session, plan_id=plan_id)
    ind = await get_indicator(session=session, plan_id=plan_id, item_id=item_id, indicator_id=indicator_id)
    await session.delete(ind)
    await session.flush()
    for i, rest in enumerate(await _indicators(session, item_id)):
        rest.position = i
    touch(plan, session)


async def reorder_indicators(*, session: AsyncSession, plan_id: str, item_id: str, ids: list[str]) -> None:
    """Put an item's indicators in a new order."""
    plan = await get_plan(session=session, plan_id=plan_id)
    await get_item(session=session, plan_id=plan_id, item_id=item_id)
    reorder(await _indicators(session, item_id), ids, "条目")
    touch(plan, session)
