"""Consumed events: report-svc's rebuild requests, answered with tasks.snapshotted parts."""

from __future__ import annotations

import logging

from duban_shared.events.catalogue import ReportRebuildRequested
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from task_svc.snapshots import service

log = logging.getLogger(__name__)
router = EventRouter()


@router.handles(ReportRebuildRequested)
async def on_rebuild_requested(uow: UnitOfWork, event: ReportRebuildRequested) -> None:
    """Re-emit the current state of the plan's tasks (or every task), tagged with the request."""
    result = await service.resnapshot(uow=uow, plan_id=event.plan_id, request_id=event.request_id)
    log.info("rebuild %s (plan %s, by %s): snapshot %s, %d tasks in %d parts", event.request_id, event.plan_id or "*",
             event.requested_by, result.snapshot_id, result.tasks, result.parts)
