"""Consumed events: per-task events become notices for the unit concerned (and the issuer, the leader)."""

from __future__ import annotations

import logging
from datetime import timedelta

from duban_shared.events.catalogue import TaskCreated, TaskEvent, TaskOverdue, TaskReassigned
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork
from notify_svc.channels.validation import check_email
from notify_svc.config import NotifySettings
from notify_svc.delivery.service import Extra
from notify_svc.notifications import service
from notify_svc.notifications.messages import NOTIFYING_EVENTS, Message, compose
from notify_svc.units.service import units_by_id

log = logging.getLogger(__name__)


router = EventRouter()


def _leader_email(address: str | None) -> list[Extra]:
    if not address:
        return []
    try:
        return [Extra("email", check_email(address), urgent=True)]
    except ValueError:
        log.warning("the directory's leader email %r is not an address; escalation goes without it", address)
        return []


@router.handles(*NOTIFYING_EVENTS)
async def on_task_event(uow: UnitOfWork, payload: TaskEvent) -> None:
    """Remember what the event says of its task and notify its recipients."""
    env = uow.envelope
    assert env is not None
    settings: NotifySettings = uow.ctx.settings
    ref = await service.remember_task(session=uow.session, event=payload)
    units = await units_by_id(session=uow.session, ids=(payload.unit_id, payload.issuer_unit_id))
    messages = compose(payload, ref, {i: u.name for i, u in units.items()})
    if not messages:
        log.info("%s of task %s has no recipient; no notification", env.type, payload.task_id)
    for msg in messages:
        await _notify(uow, payload, msg, settings, units)


async def _notify(uow: UnitOfWork, payload: TaskEvent, msg: Message, settings: NotifySettings, units: dict) -> None:  # type: ignore[type-arg]
    env = uow.envelope
    assert env is not None
    task_id = msg.task_id or payload.task_id
    if msg.kind == "task_reminded":
        window = timedelta(minutes=settings.reminder_merge_minutes)
        merged = await service.merge_reminder(uow=uow, event_id=env.id, unit_id=msg.unit_id, task_id=task_id,
                                              title=msg.title, body=msg.body, window=window)
        if merged is not None:
            return
    if isinstance(payload, TaskReassigned) and await service.already_told(session=uow.session, task_id=payload.new_task_id):
        return  # the plan's digest listed the new task already (the batch overtook this event)
    extra: list[Extra] = []
    if isinstance(payload, TaskOverdue) and msg.unit_id == payload.unit_id:
        unit = units.get(payload.unit_id)
        extra = _leader_email(unit.leader_email if unit else None)
    n = await service.add_notification(
        uow=uow, event_id=env.id, unit_id=msg.unit_id, kind=msg.kind, title=msg.title, body=msg.body,
        task_id=task_id, plan_id=payload.plan_id, urgent=msg.urgent, extra=extra,
    )
    if n is not None and isinstance(payload, TaskCreated | TaskReassigned):
        # This task's unit has been told; a later digest of its plan must not list it again.
        await service.mark_told(session=uow.session, payload=payload, notice_id=n.id)
