"""Consumed events: task events become notifications for the unit concerned."""

from __future__ import annotations

import logging

from duban_shared.events.catalogue import TaskEvent
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from notify_svc.notifications import service
from notify_svc.notifications.messages import NOTIFYING_EVENTS, compose
from notify_svc.units.service import unit_names

log = logging.getLogger(__name__)


router = EventRouter()


@router.handles(*NOTIFYING_EVENTS)
async def on_task_event(uow: UnitOfWork, payload: TaskEvent) -> None:
    """Remember what the event says of its task and notify its recipient."""
    session, env = uow.session, uow.envelope
    assert env is not None
    ref = await service.remember_task(session=session, event=payload)
    names = await unit_names(session=session, ids=(payload.unit_id, payload.issuer_unit_id))
    msg = compose(payload, ref, names)
    if msg is None:
        log.info("%s of task %s has no recipient; no notification", env.type, payload.task_id)
        return
    await service.add_notification(
        session=session, event_id=env.id, unit_id=msg.unit_id, kind=msg.kind, title=msg.title, body=msg.body,
        task_id=payload.task_id, plan_id=payload.plan_id,
    )

