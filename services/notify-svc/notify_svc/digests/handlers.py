"""Consumed batch events: tasks.assigned (stored), plan.dispatched (digests), tasks.withdrawn (one notice per unit)."""

from __future__ import annotations

import logging

from duban_shared.events.catalogue import PlanDispatched, TasksAssigned, TasksWithdrawn
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from notify_svc.digests import service

log = logging.getLogger(__name__)
router = EventRouter()


@router.handles(TasksAssigned)
async def on_tasks_assigned(uow: UnitOfWork, event: TasksAssigned) -> None:
    """Remember the batch's tasks; a plan's breakdown is told on plan.dispatched, a single action at once."""
    assert uow.envelope is not None
    await service.store_assigned(uow=uow, event=event, event_id=uow.envelope.id)


@router.handles(PlanDispatched)
async def on_plan_dispatched(uow: UnitOfWork, event: PlanDispatched) -> None:
    """Tell each unit once of its new tasks."""
    assert uow.envelope is not None
    notices = await service.dispatch_digest(uow=uow, event=event, event_id=uow.envelope.id)
    log.info("plan %s v%s dispatched: %d digest notices", event.plan_id, event.plan_version, len(notices))


@router.handles(TasksWithdrawn)
async def on_tasks_withdrawn(uow: UnitOfWork, event: TasksWithdrawn) -> None:
    """Tell each unit once which of its tasks were withdrawn."""
    assert uow.envelope is not None
    await service.withdrawn_digest(uow=uow, event=event, event_id=uow.envelope.id)
