"""Read and set a unit's channels and no-disturb hours; validate addresses and webhook URLs."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlmodel import col, select

from duban_shared.auth import Principal
from duban_shared.errors import AppError, forbidden
from duban_shared.events import utcnow
from duban_shared.uow import UnitOfWork
from notify_svc.channels.models import ChannelConfig, QuietHours
from notify_svc.channels.schemas import ChannelOut, ChannelsIn, ChannelsOut, QuietHoursIn
from notify_svc.channels.validation import check_email, check_webhook_url
from notify_svc.delivery.service import OUTBOUND
from notify_svc.units.models import Unit

ROBOTS = ("dingtalk", "wecom", "feishu")


def mask_url(url: str) -> str:
    """The webhook with its credentials hidden (query values and long path parts), for showing back."""
    p = urlsplit(url)
    query = urlencode([(k, "****") for k, _ in parse_qsl(p.query, keep_blank_values=True)], safe="*")
    path = "/".join(seg[:4] + "****" if len(seg) > 16 else seg for seg in p.path.split("/"))
    return urlunsplit((p.scheme, p.netloc, path, query, ""))


def which_unit(user: Principal, unit_id: str | None) -> str:
    """The unit the caller may read or set: its own; the city (and the administrator) any unit."""
    if unit_id is None or unit_id == user.unit_id:
        if user.unit_id is None:
            raise AppError(422, "unit_required", "请指定单位（unit_id）")
        return user.unit_id
    if user.unit_kind == "city" or user.is_admin:
        return unit_id
    raise forbidden("只能设置本单位的通知渠道")


async def get_channels(*, uow: UnitOfWork, unit_id: str) -> ChannelsOut:
    """The unit's settings; channels never configured show as off."""
    s = uow.session
    rows = {c.channel: c for c in (await s.exec(select(ChannelConfig).where(ChannelConfig.unit_id == unit_id))).all()}
    unit = await s.get(Unit, unit_id)
    quiet = await s.get(QuietHours, unit_id)
    out = [ChannelOut(kind="in_app", enabled=True, target=None)]
    for kind in OUTBOUND:
        c = rows.get(kind)
        target = c.target if c else None
        out.append(ChannelOut(
            kind=kind, enabled=bool(c and c.enabled), target=mask_url(target) if target and kind in ROBOTS else target,  # type: ignore[arg-type]
            has_secret=bool(c and c.secret), default_target=unit.email if kind == "email" and unit else None,
            updated_at=c.updated_at if c else None,
        ))
    q = QuietHoursIn(start=quiet.start, end=quiet.end) if quiet else None
    return ChannelsOut(unit_id=unit_id, channels=out, quiet_hours=q)


def _invalid(index: int, message: str) -> AppError:
    return AppError(422, "invalid_channel", message, [{"field": f"channels.{index}.target", "message": message}])


async def set_channels(*, uow: UnitOfWork, unit_id: str, body: ChannelsIn, user: Principal, allow_loopback: bool) -> ChannelsOut:
    """Validate everything first, then write: a bad channel changes nothing."""
    s = uow.session
    existing = {c.channel: c for c in (await s.exec(select(ChannelConfig).where(col(ChannelConfig.unit_id) == unit_id))).all()}
    staged: list[ChannelConfig] = []
    for i, ch in enumerate(body.channels):
        if ch.kind == "in_app":
            if not ch.enabled:
                raise _invalid(i, "站内消息不能关闭")
            continue
        old = existing.get(ch.kind)
        target = (ch.target or "").strip() or None
        if ch.kind in ROBOTS and target and old and old.target and target == mask_url(old.target):
            target = old.target  # the masked URL shown back: keep what is stored
        if target and ch.kind == "email":
            try:
                target = check_email(target)
            except ValueError as exc:
                raise _invalid(i, str(exc)) from None
        elif target:
            try:
                target = check_webhook_url(target, allow_loopback=allow_loopback)
            except ValueError as exc:
                raise _invalid(i, str(exc)) from None
        if ch.enabled and ch.kind in ROBOTS and not target:
            raise _invalid(i, "启用群机器人须填写 Webhook 地址")
        secret = ch.secret if ch.secret else (old.secret if old else None)
        c = old or ChannelConfig(unit_id=unit_id, channel=ch.kind)
        c.enabled, c.target, c.secret, c.updated_at, c.updated_by = ch.enabled, target, secret, utcnow(), user.username
        staged.append(c)
    for c in staged:
        s.add(c)
    quiet = await s.get(QuietHours, unit_id)
    if body.quiet_hours is None and quiet is not None:
        await s.delete(quiet)
    elif body.quiet_hours is not None:
        quiet = quiet or QuietHours(unit_id=unit_id, start=body.quiet_hours.start, end=body.quiet_hours.end)
        quiet.start, quiet.end, quiet.updated_at = body.quiet_hours.start, body.quiet_hours.end, utcnow()
        s.add(quiet)
    await s.flush()
    return await get_channels(uow=uow, unit_id=unit_id)
