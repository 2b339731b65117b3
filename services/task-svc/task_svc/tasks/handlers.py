"""Consumed events: break a published plan down into city and district tasks."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from pydantic import BaseModel
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.app import ServiceContext
from duban_shared.events import Envelope
from duban_shared.events.catalogue import PlanItemSnapshot, PlanPublished, TaskCreated
from duban_shared.messaging import Handler
from task_svc.directory.models import Unit
from task_svc.tasks.matching import match_unit
from task_svc.tasks.models import Task, TaskEntry
from task_svc.tasks.service import event_fields

log = logging.getLogger(__name__)
NS = uuid.UUID("5b0f3c2e-9a57-4c1e-8f3e-6c1d2f0a7b11")


def task_id_for(plan_id: str, item_id: str, unit_id: str, level: str) -> str:
    """Deterministic id: a redelivered plan never makes a second task for the same unit and item."""
    return str(uuid.uuid5(NS, f"{plan_id}/{item_id}/{level}/{unit_id}"))


def _new_task(item: PlanItemSnapshot, plan: PlanPublished, *, level: str, unit: Unit, issuer: str | None, parent: str | None, due: date | None) -> Task:
    return Task(
        id=task_id_for(plan.plan_id, item.id, unit.id, level), plan_id=plan.plan_id, plan_version=plan.version,
        item_id=item.id, parent_id=parent, level=level, unit_id=unit.id, issuer_unit_id=issuer,
        title=item.title, body=item.body, due_date=due,
    )


async def break_down(session: AsyncSession, ctx: ServiceContext, plan: PlanPublished) -> list[Task]:
    """Create the city task of every item (its lead department) and, where targeted, district tasks."""
    units = list((await session.exec(select(Unit).where(Unit.active == True))).all())  # noqa: E712
    city = next((u for u in units if u.kind == "city"), None)
    if city is None:
        log.warning("plan %s published but the directory has no city bureau; no tasks made", plan.plan_id)
        return []
    departments = [u for u in units if u.kind == "department"]
    districts = sorted((u for u in units if u.kind == "district"), key=lambda u: u.code)
    made: list[Task] = []
    for item in plan.items:
        lead = next((m for n in item.lead_units if (m := match_unit(n, departments))), None) or city
        due = item.deadline or plan.default_deadline
        city_task = _new_task(item, plan, level="city", unit=lead, issuer=city.id, parent=None, due=due)
        made.append(city_task)
        if item.targets.districts:
            made += [_new_task(item, plan, level="district", unit=d, issuer=lead.id, parent=city_task.id, due=due) for d in districts]
    existing = set((await session.exec(select(Task.id).where(Task.plan_id == plan.plan_id))).all())
    fresh = [t for t in made if t.id not in existing]
    for t in fresh:
        session.add(t)
        session.add(TaskEntry(task_id=t.id, action="created", actor=plan.published_by, to_status="assigned", note=f"第{plan.version}版计划发布"))
        await ctx.outbox.add(session, TaskCreated(**event_fields(t, plan.published_by), title=t.title, due_date=t.due_date, plan_version=plan.version))  # type: ignore[arg-type]
    return fresh


def handlers(ctx: ServiceContext) -> dict[str, Handler]:
    """Handlers of task-svc's plan consumer."""

    async def on_plan_published(session: AsyncSession, _env: Envelope, payload: BaseModel) -> None:
        assert isinstance(payload, PlanPublished)
        tasks = await break_down(session, ctx, payload)
        log.info("plan %s v%d broken down into %d tasks", payload.plan_id, payload.version, len(tasks))

    return {PlanPublished.TYPE: on_plan_published}
