"""Consumed events: keep the plan read model at the newest published version."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events import utcnow
from duban_shared.events.catalogue import PlanItemSnapshot, PlanPublished, PlanRevised
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from report_svc.plans.models import Plan, PlanIndicator, PlanItem
from report_svc.stats.service import mark_dirty

log = logging.getLogger(__name__)
PERCENT_UNITS = frozenset({"%", "％", "百分比", "百分点"})


def indicator_kind(name: str, unit: str) -> str:
    """rate for percentages (比例、率), count for everything that adds up (所、人、个、万元…)."""
    return "rate" if unit.strip() in PERCENT_UNITS else "count"


async def _newer_plan(session: AsyncSession, *, plan_id: str, version: int, title: str, year: int | None, at: datetime) -> Plan | None:
    """The plan row to update, or None when this version is not newer than what is stored."""
    plan = await session.get(Plan, plan_id)
    if plan is not None and plan.version >= version:
        log.info("plan %s v%d ignored: v%d already applied", plan_id, version, plan.version)
        return None
    plan = plan or Plan(id=plan_id)
    plan.title, plan.year, plan.version, plan.published_at, plan.updated_at = title, year, version, at, utcnow()
    session.add(plan)
    return plan


async def _drop_item(session: AsyncSession, plan_id: str, item_id: str) -> None:
    await session.exec(sa.delete(PlanIndicator).where(PlanIndicator.plan_id == plan_id, PlanIndicator.item_id == item_id))  # type: ignore[arg-type]
    await session.exec(sa.delete(PlanItem).where(PlanItem.plan_id == plan_id, PlanItem.id == item_id))  # type: ignore[arg-type]


async def _put_item(session: AsyncSession, plan_id: str, item: PlanItemSnapshot) -> None:
    await _drop_item(session, plan_id, item.id)
    await session.exec(sa.insert(PlanItem).values(
        plan_id=plan_id, id=item.id, position=item.position, section_number=item.section_number, section_title=item.section_title,
        number=item.number, title=item.title,
    ))
    for pos, ind in enumerate(item.indicators):
        await session.exec(sa.insert(PlanIndicator).values(
            plan_id=plan_id, id=ind.id, item_id=item.id, position=pos, name=ind.name or ind.text,
            comparator=ind.comparator, target=ind.target, unit=ind.unit, kind=indicator_kind(ind.name or ind.text, ind.unit),
        ))


async def apply_published(*, session: AsyncSession, event: PlanPublished) -> bool:
    """Store a whole plan version; False when an equal or newer version is already stored."""
    if await _newer_plan(session, plan_id=event.plan_id, version=event.version, title=event.title, year=event.year, at=event.published_at) is None:
        return False
    await session.exec(sa.delete(PlanIndicator).where(PlanIndicator.plan_id == event.plan_id))  # type: ignore[arg-type]
    await session.exec(sa.delete(PlanItem).where(PlanItem.plan_id == event.plan_id))  # type: ignore[arg-type]
    for item in event.items:
        await _put_item(session, event.plan_id, item)
    return True


async def apply_revised(*, session: AsyncSession, event: PlanRevised) -> bool:
    """Apply a revision item by item; False when an equal or newer version is already stored."""
    if await _newer_plan(session, plan_id=event.plan_id, version=event.version, title=event.title, year=event.year, at=event.published_at) is None:
        return False
    for change in event.changes:
        if change.change == "removed":
            await _drop_item(session, event.plan_id, change.item_id)
        elif change.item is not None:
            await _put_item(session, event.plan_id, change.item)
    return True


router = EventRouter()


@router.handles(PlanPublished)
async def on_published(uow: UnitOfWork, event: PlanPublished) -> None:
    """Store the published plan's items and indicators."""
    if await apply_published(session=uow.session, event=event):
        await mark_dirty(uow.session, [event.plan_id])


@router.handles(PlanRevised)
async def on_revised(uow: UnitOfWork, event: PlanRevised) -> None:
    """Apply a revision item by item."""
    if await apply_revised(session=uow.session, event=event):
        await mark_dirty(uow.session, [event.plan_id])
