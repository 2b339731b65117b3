"""Consumed events: batches set-based, per-task lifecycle events as upserts that never go back in time.

tasks.snapshotted (a rebuild) is handled in report_svc.rebuild.handlers, in the same consumer group.
"""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events.catalogue import (
    TaskApproved,
    TaskCreated,
    TaskDeadlineApproaching,
    TaskDueChanged,
    TaskEvent,
    TaskExtensionDecided,
    TaskOverdue,
    TaskProgressReported,
    TasksAssigned,
    TaskSubmitted,
    TasksWithdrawn,
)
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from report_svc.stats.service import mark_dirty
from report_svc.tasks import lines, projection
from report_svc.tasks.models import ReportTask
from report_svc.tasks.placement import load_units, place

log = logging.getLogger(__name__)
TASK_EVENTS = tuple(c for c in TaskEvent.__subclasses__() if "TYPE" in c.__dict__)
UNACKNOWLEDGED = ("assigned", "declined", "withdrawn", "reassigned")


async def _store_values(session: AsyncSession, task: ReportTask, event: TaskProgressReported) -> None:
    at = projection.aware(event.at)
    rows = []
    for entry in event.indicator_values:
        v = projection.value_row(entry)
        if v is not None:
            rows.append(dict(task_id=task.id, indicator_id=v[0], plan_id=task.plan_id, value=v[1], numerator=v[2], denominator=v[3],
                             reported_at=at, unit_id=task.unit_id))
    await projection.upsert_values(session, rows)


def _descriptive(task: ReportTask, event: TaskEvent) -> None:
    """Title and due date from the events that carry them."""
    if isinstance(event, TaskCreated | TaskDueChanged):
        task.title, task.due_date = event.title, event.due_date
    elif isinstance(event, TaskOverdue | TaskDeadlineApproaching):
        task.due_date = event.due_date or task.due_date
        task.title = task.title or event.title
        task.warning = event.warning
    elif isinstance(event, TaskExtensionDecided) and event.approved and event.due_date is not None:
        task.due_date, task.warning = event.due_date, "green"


async def apply_task_event(*, session: AsyncSession, event: TaskEvent) -> bool:
    """Apply one lifecycle event; False when it is older than what the read model already shows."""
    at = projection.aware(event.at)
    task = await session.get(ReportTask, event.task_id)
    if task is not None and at < task.last_event_at:
        if isinstance(event, TaskCreated) and not task.title:
            task.title, task.due_date = event.title, task.due_date or event.due_date
            task.assigned_at = task.assigned_at or at
            session.add(task)
        log.info("task %s: %s at %s ignored (already at %s)", event.task_id, event.TYPE, at, task.last_event_at)
        return False
    if task is None:
        # Its batch has not arrived yet (another partition): start the row from what every task event carries.
        units = await load_units(session, [event.unit_id, event.issuer_unit_id])
        district, key = place(event.level, event.unit_id, event.issuer_unit_id, units)
        task = ReportTask(id=event.task_id, plan_id=event.plan_id, level=event.level, unit_id=event.unit_id, last_event_at=at,
                          district_id=district, org_key=key, assigned_at=at if isinstance(event, TaskCreated) else None)
    task.plan_id, task.item_id, task.parent_id = event.plan_id, event.item_id or task.item_id, event.parent_id or task.parent_id
    task.level, task.unit_id, task.issuer_unit_id = event.level, event.unit_id, event.issuer_unit_id or task.issuer_unit_id
    task.status, task.last_event_at = event.status, at
    _descriptive(task, event)
    if event.status not in UNACKNOWLEDGED and task.acknowledged_at is None:
        task.acknowledged_at = at
    if isinstance(event, TaskSubmitted) or (event.status == "submitted" and task.submitted_at is None):
        task.submitted_at = task.submitted_at or at
    if event.status == "completed":
        if task.completed_at is None or isinstance(event, TaskApproved):
            task.completed_at, task.completed_on = at, projection.local_date(at)
    else:
        task.completed_at = task.completed_on = None
    if event.status in ("submitted", "completed", "withdrawn", "reassigned"):
        task.warning = "green"
    if isinstance(event, TaskProgressReported):
        task.percent = max(0, min(100, event.percent))
        task.last_report_at, task.last_report_note = at, event.note[:500]
        await _store_values(session, task, event)
    task.board_line = lines.render_task(task) if task.status not in lines.GONE else None
    session.add(task)
    return True


router = EventRouter()


@router.handles(*TASK_EVENTS)
async def on_task_event(uow: UnitOfWork, event: TaskEvent) -> None:
    """Fold a per-task lifecycle event into the read model."""
    if await apply_task_event(session=uow.session, event=event):
        await mark_dirty(uow.session, [event.plan_id])


@router.handles(TasksAssigned)
async def on_tasks_assigned(uow: UnitOfWork, event: TasksAssigned) -> None:
    """Insert a batch of new tasks in a few statements."""
    await projection.apply_assigned(session=uow.session, event=event)
    await mark_dirty(uow.session, [event.plan_id])


@router.handles(TasksWithdrawn)
async def on_tasks_withdrawn(uow: UnitOfWork, event: TasksWithdrawn) -> None:
    """Withdrawn tasks stop counting."""
    await projection.apply_withdrawn(session=uow.session, event=event)
    await mark_dirty(uow.session, [event.plan_id])

