"""Notifications: stage new ones, list, mark read, and find those a stream missed."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import Principal
from duban_shared.errors import not_found
from duban_shared.events import utcnow
from duban_shared.events.catalogue import TaskCreated, TaskDueChanged, TaskEvent
from notify_svc.notifications.hub import stage
from notify_svc.notifications.models import TITLE_MAX, Notification, TaskRef

NS = uuid.UUID("0c1f6a55-3d2e-4b8f-9a71-5e4d2c8b9f10")


def notification_id(event_id: str, unit_id: str) -> str:
    """Deterministic id: the same event for the same unit always names the same notification."""
    return str(uuid.uuid5(NS, f"{event_id}/{unit_id}"))


async def add_notification(
    *, session: AsyncSession, event_id: str, unit_id: str, kind: str, title: str, body: str,
    task_id: str | None = None, plan_id: str | None = None,
) -> Notification | None:
    """Stage a notification in the session; None when this event already notified this unit."""
    nid = notification_id(event_id, unit_id)
    if await session.get(Notification, nid) is not None:
        return None
    n = Notification(id=nid, unit_id=unit_id, kind=kind, title=title[:TITLE_MAX], body=body,
                     task_id=task_id, plan_id=plan_id, event_id=event_id)
    session.add(n)
    stage(session, n)
    return n


async def remember_task(*, session: AsyncSession, event: TaskEvent) -> TaskRef | None:
    """Keep title and deadline from task.created / task.updated; return what is known of the task."""
    ref = await session.get(TaskRef, event.task_id)
    if not isinstance(event, TaskCreated | TaskDueChanged):
        return ref
    if ref is None:
        ref = TaskRef(task_id=event.task_id, plan_id=event.plan_id, unit_id=event.unit_id)
    ref.sqlmodel_update({"plan_id": event.plan_id, "unit_id": event.unit_id, "issuer_unit_id": event.issuer_unit_id,
                         "title": event.title[:500], "due_date": event.due_date, "updated_at": utcnow()})
    session.add(ref)
    return ref


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
