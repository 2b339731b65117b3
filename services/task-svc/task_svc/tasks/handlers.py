"""Consumed events: record the breakdown of a published or revised plan; the breakdown worker writes it."""

from __future__ import annotations

import logging

from duban_shared.events.catalogue import PlanPublished, PlanRevised
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from task_svc.dispatch.jobs import record_job
from task_svc.tasks.breakdown import task_id_for

__all__ = ["router", "task_id_for"]
log = logging.getLogger(__name__)
router = EventRouter()


@router.handles(PlanPublished)
async def on_plan_published(uow: UnitOfWork, event: PlanPublished) -> None:
    """Record the breakdown of a published plan (written in chunks after this commits)."""
    await record_job(uow=uow, event=event)
    log.info("plan %s v%d published: breakdown of %d items recorded", event.plan_id, event.version, len(event.items))


@router.handles(PlanRevised)
async def on_plan_revised(uow: UnitOfWork, event: PlanRevised) -> None:
    """Record a revision, followed item by item by the breakdown worker."""
    await record_job(uow=uow, event=event)
    log.info("plan %s v%d revised: %d item changes recorded", event.plan_id, event.version, len(event.changes))
