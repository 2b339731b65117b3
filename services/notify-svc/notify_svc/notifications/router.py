"""GET /api/notifications, POST …/{id}/read, POST …/read-all, GET …/stream (SSE)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BeforeValidator
from sse_starlette import EventSourceResponse, ServerSentEvent

from duban_shared.app import CtxDep, SessionDep
from duban_shared.auth import CurrentUser
from duban_shared.security import while_session_valid
from notify_svc.config import NotifySettings
from notify_svc.notifications import service
from notify_svc.notifications.hub import NotificationHub
from notify_svc.notifications.schemas import (
    DeliveryPublic,
    NotificationPage,
    NotificationPublic,
    ReadAllResult,
)
from notify_svc.notifications.stream import notification_events

router = APIRouter(prefix="/api/notifications", tags=["notifications"])
# `?unread=` (empty, as a form leaves it) means "no filter" rather than a 422.
UnreadFilter = Annotated[bool, BeforeValidator(lambda v: False if v == "" else v)]


@router.get("", response_model=NotificationPage)
async def list_notifications(
    session: SessionDep, user: CurrentUser,
    unread: UnreadFilter = False,
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> NotificationPage:
    """The caller's unit's notifications, newest first."""
    rows, total, unread_n = await service.list_notifications(session=session, user=user, unread=unread, limit=limit, offset=offset)
    items = [NotificationPublic.model_validate(n, from_attributes=True) for n in rows]
    return NotificationPage(items=items, total=total, unread=unread_n)


@router.get("/stream", response_class=EventSourceResponse)
async def stream(request: Request, ctx: CtxDep, user: CurrentUser) -> EventSourceResponse:
    """New notifications of the caller's unit as Server-Sent Events (resumes after Last-Event-ID)."""
    settings: NotifySettings = ctx.settings  # type: ignore[assignment]
    hub: NotificationHub = ctx.extras["hub"]
    events = notification_events(
        hub=hub, db=ctx.db, unit_id=user.unit_id, last_event_id=request.headers.get("last-event-id"),
        replay_limit=settings.sse_replay_limit,
    )
    # The stream ends with the session: token expiry, logout elsewhere, deactivation or a password reset.
    ended = ServerSentEvent(data="{}", event="session_ended")
    events = while_session_valid(events, request=request, user=user, every=settings.token_check_ttl, last=ended)
    return EventSourceResponse(events, ping=settings.sse_ping_seconds, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/read-all", response_model=ReadAllResult)
async def read_all(session: SessionDep, user: CurrentUser) -> ReadAllResult:
    """Mark every unread notification of the caller's unit read."""
    return ReadAllResult(updated=await service.mark_all_read(session=session, user=user))


@router.post("/{notification_id}/read", response_model=NotificationPublic)
async def read_one(notification_id: str, session: SessionDep, user: CurrentUser) -> NotificationPublic:
    """Mark one notification read; reading it again changes nothing."""
    n = await service.mark_read(session=session, user=user, notification_id=notification_id)
    return NotificationPublic.model_validate(n, from_attributes=True)


@router.get("/{notification_id}/deliveries", response_model=list[DeliveryPublic])
async def deliveries(notification_id: str, session: SessionDep, user: CurrentUser) -> list[DeliveryPublic]:
    """How one of the caller's notices went out by email and robots: pending, sent, or failed with the reason."""
    rows = await service.deliveries(session=session, user=user, notification_id=notification_id)
    return [DeliveryPublic.model_validate(d, from_attributes=True) for d in rows]
