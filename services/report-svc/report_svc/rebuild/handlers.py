"""Consumed events: task-svc's tasks.snapshotted parts overwrite the projection and advance the rebuild they answer."""

from __future__ import annotations

from duban_shared.events.catalogue import TasksSnapshotted
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from report_svc.rebuild import service
from report_svc.stats.service import mark_dirty
from report_svc.tasks import projection

router = EventRouter()


@router.handles(TasksSnapshotted)
async def on_tasks_snapshotted(uow: UnitOfWork, event: TasksSnapshotted) -> None:
    """Rebuild from task-svc's re-emitted state; a part answering a rebuild request also records its progress."""
    followed = event.request_id is not None
    added, changed = await service.compare_part(session=uow.session, event=event) if followed else (0, 0)
    plans, pruned = await projection.apply_snapshot(session=uow.session, event=event)
    await mark_dirty(uow.session, sorted(plans | ({event.plan_id} if event.plan_id else set())))
    if followed:
        await service.record_part(session=uow.session, event=event, added=added, changed=changed, pruned=pruned)
