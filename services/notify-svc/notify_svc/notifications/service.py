"""Notifications: add (with their deliveries and live announcement), merge reminders, list, mark read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import Principal
from duban_shared.clock import clock
from duban_shared.errors import not_found
from duban_shared.events import utcnow
from duban_shared.events.catalogue import (
    TaskCreated,
    TaskDueChanged,
    TaskEvent,
    TaskExtensionDecided,
    TaskExtensionRequested,
    TaskReassigned,
)
from duban_shared.uow import UnitOfWork
from notify_svc.delivery.models import Delivery
from notify_svc.delivery.service import Extra, deliveries_of, plan_deliveries
from notify_svc.notifications.hub import stage
from notify_svc.notifications.live import announce
from notify_svc.notifications.models import TITLE_MAX, Notification, TaskRef

NS = uuid.UUID("0c1f6a55-3d2e-4b8f-9a71-5e4d2c8b9f10")


def notification_id(event_id: str, unit_id: str) -> str:
    """Deterministic id: the same event for the same unit always names the same notification."""
    return str(uuid.uuid5(NS, f"{event_id}/{unit_id}"))


async def add_notification(
    *, uow: UnitOfWork, event_id: str, unit_id: str, kind: str, title: str, body: str,
    task_id: str | None = None, plan_id: str | None = None, urgent: bool = False, extra: Sequence[Extra] = (),
) -> Notification | None:
    """Stage a notification with its deliveries; None when this event already notified this unit."""
    notices = await add_notifications(uow=uow, event_id=event_id, items=[dict(
        unit_id=unit_id, kind=kind, title=title, body=body, task_id=task_id, plan_id=plan_id, urgent=urgent)],
        extra={unit_id: list(extra)} if extra else None)
    return notices[0] if notices else None


async def add_notifications(
    *, uow: UnitOfWork, event_id: str, items: Sequence[dict[str, Any]], extra: dict[str, list[Extra]] | None = None,
) -> list[Notification]:
    """Stage several notifications of one event (one per unit) with their deliveries, in a few statements."""
    session = uow.session
    ids = {notification_id(event_id, i["unit_id"]): i for i in items}
    known = set((await session.exec(select(Notification.id).where(col(Notification.id).in_(list(ids))))).all())
    out: list[Notification] = []
    for nid, i in ids.items():
        if nid in known:
            continue
        n = Notification(id=nid, event_id=event_id, last_event_id=event_id, **{**i, "title": i["title"][:TITLE_MAX]})
        session.add(n)
        stage(session, n)
        out.append(n)
    if out:
        await session.flush()
        await plan_deliveries(uow=uow, notices=out, extra=extra or {})
        await announce(uow, out)
    return out


async def merge_reminder(
    *, uow: UnitOfWork, event_id: str, unit_id: str, task_id: str, title: str, body: str, window: timedelta,
) -> Notification | None:
    """Fold a reminder into the unit's reminder of the same task within the window; None if there is none."""
    since = clock.now() - window
    stmt = select(Notification).where(
        Notification.unit_id == unit_id, Notification.task_id == task_id, Notification.kind == "task_reminded",
        col(Notification.created_at) >= since,
    ).order_by(col(Notification.created_at).desc()).limit(1)
    n = (await uow.session.exec(stmt)).first()
    if n is None:
        return None
    if n.last_event_id != event_id:  # a redelivery of the reminder already merged changes nothing
        n.repeat_count += 1
        n.body, n.last_event_id, n.updated_at, n.read_at = body, event_id, clock.now(), None
        n.title = f"{title}（第{n.repeat_count}次）"[:TITLE_MAX]
        uow.session.add(n)
        stage(uow.session, n, new=False)
        await uow.session.flush()
        await announce(uow, [n])
    return n


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    return pg_insert if session.bind is not None and session.bind.dialect.name == "postgresql" else sqlite_insert


async def upsert_refs(*, session: AsyncSession, rows: Sequence[dict[str, Any]], overwrite: Sequence[str] = ()) -> None:
    """Insert task refs in one statement; existing ones keep theirs unless a field is named in `overwrite`."""
    if not rows:
        return
    # Statement and rows apart: executemany ("insertmanyvalues") compiles once, whatever the batch size.
    stmt = _insert(session)(TaskRef.__table__)  # type: ignore[attr-defined]
    if overwrite:
        stmt = stmt.on_conflict_do_update(index_elements=["task_id"], set_={f: stmt.excluded[f] for f in (*overwrite, "updated_at")})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["task_id"])
    now = utcnow()
    await session.execute(stmt, [{**r, "updated_at": now} for r in rows])


async def remember_task(*, session: AsyncSession, event: TaskEvent) -> TaskRef | None:
    """Keep title and deadline from the events that carry them; return what is known of the task."""
    ref = await session.get(TaskRef, event.task_id)
    title = str(getattr(event, "title", "") or "")[:500]
    due = getattr(event, "due_date", None)
    if isinstance(event, TaskExtensionRequested | TaskExtensionDecided) and not (isinstance(event, TaskExtensionDecided) and event.approved):
        due = None  # the current date is unchanged by a request or a refusal
    if ref is None:
        if not title and due is None:
            return None
        ref = TaskRef(task_id=event.task_id, plan_id=event.plan_id, unit_id=event.unit_id, issuer_unit_id=event.issuer_unit_id,
                      level=event.level, parent_id=event.parent_id)
    if title:
        ref.title = title
    if due is not None or isinstance(event, TaskCreated | TaskDueChanged):
        ref.due_date = due
    ref.updated_at = utcnow()
    session.add(ref)
    return ref


async def already_told(*, session: AsyncSession, task_id: str) -> bool:
    """True when a notice (a digest, a reassignment) already told the task's unit of it."""
    ref = await session.get(TaskRef, task_id)
    return ref is not None and ref.digest_id is not None


async def mark_told(*, session: AsyncSession, payload: TaskEvent, notice_id: str) -> None:
    """Record that a task's unit was told of it by this notice (a task.created, or the new task of a reassignment)."""
    if isinstance(payload, TaskReassigned):
        row = {"task_id": payload.new_task_id, "plan_id": payload.plan_id, "unit_id": payload.new_unit_id,
               "issuer_unit_id": payload.issuer_unit_id, "level": payload.level, "parent_id": payload.parent_id,
               "title": (await session.get(TaskRef, payload.task_id) or TaskRef(task_id="", plan_id="", unit_id="")).title,
               "digest_id": notice_id}
        await upsert_refs(session=session, rows=[row], overwrite=("digest_id",))
        return
    ref = await session.get(TaskRef, payload.task_id)
    if ref is not None and ref.digest_id is None:
        ref.digest_id = notice_id
        session.add(ref)


def _mine(user: Principal):  # type: ignore[no-untyped-def]
    # An account without a unit (e.g. the admin) is no recipient of anything.
    return Notification.unit_id == user.unit_id if user.unit_id else sa.false()


async def list_notifications(
    *, session: AsyncSession, user: Principal, unread: bool = False, limit: int = 50, offset: int = 0,
) -> tuple[list[Notification], int, int]:
    """The caller's notifications, newest first; returns (page, total matching, unread overall)."""
    stmt = select(Notification).where(_mine(user))
    if unread:
        stmt = stmt.where(col(Notification.read_at).is_(None))
    total = (await session.exec(select(sa.func.count()).select_from(stmt.subquery()))).one()
    unread_q = select(sa.func.count()).select_from(Notification).where(_mine(user), col(Notification.read_at).is_(None))
    unread_n = (await session.exec(unread_q)).one()
    page = stmt.order_by(col(Notification.created_at).desc(), col(Notification.id).desc()).limit(limit).offset(offset)
    return list((await session.exec(page)).all()), int(total), int(unread_n)


async def mark_read(*, session: AsyncSession, user: Principal, notification_id: str) -> Notification:
    """Mark one of the caller's notifications read (again is fine); 404 for anyone else's."""
    n = await session.get(Notification, notification_id)
    if n is None or user.unit_id is None or n.unit_id != user.unit_id:
        raise not_found("通知")
    if n.read_at is None:
        n.read_at = utcnow()
        session.add(n)
        await session.commit()
    return n


async def mark_all_read(*, session: AsyncSession, user: Principal) -> int:
    """Mark every unread notification of the caller read; returns how many."""
    if user.unit_id is None:
        return 0
    q = sa.update(Notification).where(Notification.unit_id == user.unit_id, col(Notification.read_at).is_(None))
    res = await session.exec(q.values(read_at=utcnow()))
    await session.commit()
    return int(res.rowcount or 0)


async def created_after(*, session: AsyncSession, unit_id: str, notification_id: str, limit: int) -> list[Notification]:
    """The unit's notifications after the given one (by creation time), oldest first."""
    anchor = await session.get(Notification, notification_id)
    if anchor is None or anchor.unit_id != unit_id:
        return []
    later = sa.or_(
        col(Notification.created_at) > anchor.created_at,
        sa.and_(col(Notification.created_at) == anchor.created_at, col(Notification.id) > anchor.id),
    )
    stmt = select(Notification).where(Notification.unit_id == unit_id, later)
    return list((await session.exec(stmt.order_by(col(Notification.created_at), col(Notification.id)).limit(limit))).all())


async def deliveries(*, session: AsyncSession, user: Principal, notification_id: str) -> list[Delivery]:
    """The deliveries of one of the caller's notices; 404 for anyone else's."""
    n = await session.get(Notification, notification_id)
    if n is None or user.unit_id is None or n.unit_id != user.unit_id:
        raise not_found("通知")
    return await deliveries_of(session=session, notification_ids=[n.id])
