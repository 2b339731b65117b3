"""The draft editor: plan fields, sections, items and indicators (city plan administrators only)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from duban_shared.app import SessionDep
from duban_shared.auth import CurrentUser
from plan_svc.editing import service
from plan_svc.editing.schemas import (
    IndicatorCreate,
    IndicatorPatch,
    ItemCreate,
    ItemMove,
    Order,
    PlanPatch,
    SectionCreate,
    SectionPatch,
)
from plan_svc.plans import service as plans
from plan_svc.plans.schemas import IndicatorOut, ItemOut, PlanOut, SectionOut

router = APIRouter(prefix="/api/plans/{plan_id}", tags=["plan editor"])


async def _tree(session: SessionDep, plan_id: str) -> PlanOut:
    plan = await plans.get_plan(session=session, plan_id=plan_id)
    return PlanOut.model_validate(await plans.plan_tree(session=session, plan=plan))


async def _item_out(session: SessionDep, plan_id: str, item_id: str) -> ItemOut:
    tree = await _tree(session, plan_id)
    return next(i for s in tree.sections for i in s.items if i.id == item_id)


@router.patch("", response_model=PlanOut)
async def patch_plan(plan_id: str, patch: PlanPatch, session: SessionDep, user: CurrentUser) -> PlanOut:
    """Change title, issuer or year."""
    plans.require_editor(user)
    await service.patch_plan(session=session, plan_id=plan_id, patch=patch)
    await session.commit()
    return await _tree(session, plan_id)


@router.post("/sections", response_model=SectionOut, status_code=status.HTTP_201_CREATED)
async def add_section(plan_id: str, data: SectionCreate, session: SessionDep, user: CurrentUser) -> SectionOut:
    """Add a section."""
    plans.require_editor(user)
    s = await service.add_section(session=session, plan_id=plan_id, data=data)
    await session.commit()
    return SectionOut(id=s.id, number=s.number, title=s.title, position=s.position, items=[])


@router.patch("/sections/{section_id}", response_model=PlanOut)
async def patch_section(plan_id: str, section_id: str, patch: SectionPatch, session: SessionDep, user: CurrentUser) -> PlanOut:
    """Rename or renumber a section."""
    plans.require_editor(user)
    await service.patch_section(session=session, plan_id=plan_id, section_id=section_id, patch=patch)
    await session.commit()
    return await _tree(session, plan_id)


@router.delete("/sections/{section_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_section(plan_id: str, section_id: str, session: SessionDep, user: CurrentUser) -> Response:
    """Delete a section with its items."""
    plans.require_editor(user)
    await service.delete_section(session=session, plan_id=plan_id, section_id=section_id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/sections/reorder", response_model=PlanOut)
async def reorder_sections(plan_id: str, order: Order, session: SessionDep, user: CurrentUser) -> PlanOut:
    """New order of the sections (`ids`: every section id once)."""
    plans.require_editor(user)
    await service.reorder_sections(session=session, plan_id=plan_id, ids=order.ids)
    await session.commit()
    return await _tree(session, plan_id)


@router.post("/sections/{section_id}/reorder", response_model=PlanOut)
async def reorder_items(plan_id: str, section_id: str, order: Order, session: SessionDep, user: CurrentUser) -> PlanOut:
    """New order of a section's items (`ids`: every item id of the section once)."""
    plans.require_editor(user)
    await service.reorder_items(session=session, plan_id=plan_id, section_id=section_id, ids=order.ids)
    await session.commit()
    return await _tree(session, plan_id)


@router.post("/items", response_model=ItemOut, status_code=status.HTTP_201_CREATED)
async def add_item(plan_id: str, data: ItemCreate, session: SessionDep, user: CurrentUser) -> ItemOut:
    """Add an item to a section."""
    plans.require_editor(user)
    it = await service.add_item(session=session, plan_id=plan_id, data=data)
    await session.commit()
    return await _item_out(session, plan_id, it.id)


@router.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(plan_id: str, item_id: str, session: SessionDep, user: CurrentUser) -> Response:
    """Delete an item and its indicators."""
    plans.require_editor(user)
    await service.delete_item(session=session, plan_id=plan_id, item_id=item_id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/items/{item_id}/move", response_model=ItemOut)
async def move_item(plan_id: str, item_id: str, move: ItemMove, session: SessionDep, user: CurrentUser) -> ItemOut:
    """Move an item within or across sections."""
    plans.require_editor(user)
    await service.move_item(session=session, plan_id=plan_id, item_id=item_id, move=move)
    await session.commit()
    return await _item_out(session, plan_id, item_id)


@router.post("/items/{item_id}/indicators", response_model=IndicatorOut, status_code=status.HTTP_201_CREATED)
async def add_indicator(plan_id: str, item_id: str, data: IndicatorCreate, session: SessionDep, user: CurrentUser) -> IndicatorOut:
    """Add an indicator to an item."""
    plans.require_editor(user)
    ind = await service.add_indicator(session=session, plan_id=plan_id, item_id=item_id, data=data)
    await session.commit()
    return IndicatorOut.model_validate(ind, from_attributes=True)


@router.patch("/items/{item_id}/indicators/{indicator_id}", response_model=IndicatorOut)
async def patch_indicator(plan_id: str, item_id: str, indicator_id: str, patch: IndicatorPatch, session: SessionDep, user: CurrentUser) -> IndicatorOut:
    """Change an indicator."""
    plans.require_editor(user)
    ind = await service.patch_indicator(session=session, plan_id=plan_id, item_id=item_id, indicator_id=indicator_id, patch=patch)
    await session.commit()
    return IndicatorOut.model_validate(ind, from_attributes=True)


@router.delete("/items/{item_id}/indicators/{indicator_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_indicator(plan_id: str, item_id: str, indicator_id: str, session: SessionDep, user: CurrentUser) -> Response:
    """Delete an indicator."""
    plans.require_editor(user)
    await service.delete_indicator(session=session, plan_id=plan_id, item_id=item_id, indicator_id=indicator_id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/items/{item_id}/indicators/reorder", response_model=ItemOut)
async def reorder_indicators(plan_id: str, item_id: str, order: Order, session: SessionDep, user: CurrentUser) -> ItemOut:
    """New order of an item's indicators."""
    plans.require_editor(user)
    await service.reorder_indicators(session=session, plan_id=plan_id, item_id=item_id, ids=order.ids)
    await session.commit()
    return await _item_out(session, plan_id, item_id)
