"""GET/PUT /api/notifications/channels: a unit's outbound channels and no-disturb hours."""

from __future__ import annotations

from fastapi import APIRouter, Query

from duban_shared.app import UowDep
from duban_shared.auth import CurrentUser
from notify_svc.channels import service
from notify_svc.channels.schemas import ChannelsIn, ChannelsOut

router = APIRouter(prefix="/api/notifications/channels", tags=["notifications"])


@router.get("", response_model=ChannelsOut)
async def get_channels(uow: UowDep, user: CurrentUser, unit_id: str | None = Query(default=None, max_length=36)) -> ChannelsOut:
    """The caller's unit's channels (the city may name any unit)."""
    return await service.get_channels(uow=uow, unit_id=service.which_unit(user, unit_id))


@router.put("", response_model=ChannelsOut)
async def put_channels(body: ChannelsIn, uow: UowDep, user: CurrentUser) -> ChannelsOut:
    """Set channels (those listed) and the no-disturb hours; 422 with the reason for a bad address or URL."""
    settings = uow.ctx.settings
    unit = service.which_unit(user, body.unit_id)
    return await service.set_channels(uow=uow, unit_id=unit, body=body, user=user, allow_loopback=settings.allow_loopback_webhooks)
