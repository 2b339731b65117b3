"""Consumed events: fold every task event into the task read model."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events.catalogue import (
    TaskApproved,
    TaskCreated,
    TaskDueChanged,
    TaskEvent,
    TaskProgressReported,
    TaskSubmitted,
)
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from report_svc.tasks.models import IndicatorValue, ReportTask

log = logging.getLogger(__name__)
TASK_EVENTS = tuple(c for c in TaskEvent.__subclasses__() if "TYPE" in c.__dict__)
NOT_ACKNOWLEDGED = ("assigned", "declined")


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _number(value: object) -> float | None:
    """A reported value as a finite float, or None when it is not a number."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


async def _store_values(session: AsyncSession, task: ReportTask, event: TaskProgressReported, at: datetime) -> None:
    for entry in event.indicator_values:
        indicator_id, value = entry.get("indicator_id"), _number(entry.get("value"))
        if not isinstance(indicator_id, str) or not 0 < len(indicator_id) <= 36 or value is None:
            continue
        row = await session.get(IndicatorValue, (task.id, indicator_id))
        row = row or IndicatorValue(task_id=task.id, indicator_id=indicator_id, plan_id=task.plan_id, value=value, reported_at=at)
        row.value, row.reported_at, row.plan_id = value, at, task.plan_id
        session.add(row)


def _fill_descriptive(task: ReportTask, event: TaskEvent) -> None:
    if isinstance(event, TaskCreated | TaskDueChanged):
        task.title, task.due_date = event.title, event.due_date


async def apply_task_event(*, session: AsyncSession, event: TaskEvent) -> bool:
    """Apply one task event; False when it is older than what the read model already shows."""
    at = _aware(event.at)
    task = await session.get(ReportTask, event.task_id)
    if task is not None and at < task.last_event_at:
        if isinstance(event, TaskCreated) and not task.title:
            # A late creation event still knows the title and deadline nothing newer carried.
            task.title, task.due_date = event.title, task.due_date or event.due_date
            session.add(task)
        log.info("task %s: %s at %s ignored (already at %s)", event.task_id, event.TYPE, at, task.last_event_at)
        return False
    if task is None:
        task = ReportTask(id=event.task_id, plan_id=event.plan_id, level=event.level, unit_id=event.unit_id, last_event_at=at)
        session.add(task)
    task.plan_id, task.item_id, task.parent_id = event.plan_id, event.item_id, event.parent_id
    task.level, task.unit_id, task.issuer_unit_id = event.level, event.unit_id, event.issuer_unit_id
    task.status, task.last_event_at = event.status, at
    _fill_descriptive(task, event)
    if event.status not in NOT_ACKNOWLEDGED and task.acknowledged_at is None:
        task.acknowledged_at = at
    if isinstance(event, TaskSubmitted):
        task.submitted_at = at
    if isinstance(event, TaskApproved) or (event.status == "completed" and task.completed_at is None):
        task.completed_at = at
    elif event.status != "completed":
        task.completed_at = None
    if isinstance(event, TaskProgressReported):
        task.percent = max(0, min(100, event.percent))
        await _store_values(session, task, event, at)
    session.add(task)
    return True


router = EventRouter()


@router.handles(*TASK_EVENTS)
async def on_task_event(uow: UnitOfWork, event: TaskEvent) -> None:
    """Fold a per-task lifecycle event into the read model."""
    await apply_task_event(session=uow.session, event=event)
