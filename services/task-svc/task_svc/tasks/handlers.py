"""Consumed events: break a published plan down into tasks; follow its revisions."""

from __future__ import annotations

import logging

from duban_shared.events.catalogue import PlanPublished, PlanRevised
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from task_svc.tasks.breakdown import PlanRef, load_org, reconcile_item, task_id_for

__all__ = ["router", "task_id_for"]
log = logging.getLogger(__name__)
router = EventRouter()


@router.handles(PlanPublished)
async def on_plan_published(uow: UnitOfWork, event: PlanPublished) -> None:
    """Break a published plan down into tasks."""
    org = await load_org(uow.session)
    if org is None:
        log.warning("plan %s published but the directory has no city bureau; no tasks made", event.plan_id)
        return
    ref = PlanRef(event.plan_id, event.version, event.published_by, event.default_deadline)
    n = 0
    for item in event.items:
        n += await reconcile_item(session=uow.session, outbox=uow.outbox, org=org, ref=ref, item_id=item.id, item=item)
    log.info("plan %s v%d broken down into %d tasks", event.plan_id, event.version, n)


@router.handles(PlanRevised)
async def on_plan_revised(uow: UnitOfWork, event: PlanRevised) -> None:
    """Follow a revision item by item."""
    org = await load_org(uow.session)
    if org is None:
        log.warning("plan %s revised but the directory has no city bureau; tasks left as they are", event.plan_id)
        return
    ref = PlanRef(event.plan_id, event.version, event.published_by, event.default_deadline)
    n = 0
    for change in event.changes:
        item = None if change.change == "removed" else change.item
        n += await reconcile_item(session=uow.session, outbox=uow.outbox, org=org, ref=ref, item_id=change.item_id, item=item)
    log.info("plan %s v%d revised: %d item changes, %d tasks changed", event.plan_id, event.version, len(event.changes), n)
