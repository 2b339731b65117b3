"""Which deliveries a notice gets (the unit's enabled channels, held in its no-disturb hours), and reading them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.clock import SHANGHAI, clock
from duban_shared.uow import UnitOfWork
from notify_svc.channels.models import ChannelConfig, QuietHours
from notify_svc.delivery.models import Delivery
from notify_svc.notifications.models import Notification
from notify_svc.units.models import Unit

NS = uuid.UUID("5b0e3c2a-8f41-4d7e-b1a9-2c6d8e0f4a17")
STAGED = "notify_svc.deliveries_staged"
OUTBOUND = ("email", "dingtalk", "wecom", "feishu")


@dataclass(frozen=True)
class Extra:
    """A delivery beyond the unit's own channels, e.g. the unit leader's email on escalation."""

    channel: str
    target: str
    urgent: bool = True


def delivery_id(notification_id: str, channel: str, target: str) -> str:
    """Stable per notice, channel and target: the idempotency key of a robot message, the email's Message-ID."""
    return str(uuid.uuid5(NS, f"{notification_id}/{channel}/{target}"))


def parse_hhmm(text: str) -> time:
    """'HH:MM' as a time."""
    h, m = text.split(":")
    return time(int(h), int(m))


def quiet_until(quiet: QuietHours | None, now: datetime) -> datetime | None:
    """The end of the no-disturb period `now` falls in (UTC), or None outside of one."""
    if quiet is None or quiet.start == quiet.end:
        return None
    local = now.astimezone(SHANGHAI)
    start, end, t = parse_hhmm(quiet.start), parse_hhmm(quiet.end), local.time()
    if start < end:
        inside, end_day = start <= t < end, local.date()
    else:  # spans midnight, e.g. 22:00–07:00
        inside = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=SHANGHAI).astimezone(now.tzinfo)


async def plan_deliveries(*, uow: UnitOfWork, notices: Sequence[Notification], extra: dict[str, list[Extra]]) -> list[Delivery]:
    """Stage the deliveries of freshly staged notices, in the same transaction (three reads for any number)."""
    session = uow.session
    units = {n.unit_id for n in notices}
    configs = (await session.exec(select(ChannelConfig).where(col(ChannelConfig.unit_id).in_(units), col(ChannelConfig.enabled)))).all()
    by_unit: dict[str, list[ChannelConfig]] = {}
    for c in configs:
        by_unit.setdefault(c.unit_id, []).append(c)
    quiet = {q.unit_id: q for q in (await session.exec(select(QuietHours).where(col(QuietHours.unit_id).in_(units)))).all()}
    emails = {u.id: u.email for u in (await session.exec(select(Unit).where(col(Unit.id).in_(units)))).all()}
    now = clock.now()
    out: list[Delivery] = []
    for n in notices:
        hold = None if n.urgent else quiet_until(quiet.get(n.unit_id), now)
        wanted: list[tuple[str, str, datetime | None, bool]] = []
        for c in by_unit.get(n.unit_id, []):
            target = (c.target or emails.get(n.unit_id) or "") if c.channel == "email" else ""
            if c.channel == "email" and not target:
                continue  # email enabled, but neither the unit nor the directory names an address
            wanted.append((c.channel, target, hold, n.urgent))
        wanted += [(e.channel, e.target, None if e.urgent else hold, e.urgent) for e in extra.get(n.unit_id, [])]
        chosen: dict[tuple[str, str], tuple[datetime | None, bool]] = {}
        for channel, target, held, urgent in wanted:
            if (channel, target) not in chosen or urgent:
                chosen[(channel, target)] = (held, urgent)
        for (channel, target), (held, urgent) in chosen.items():
            d = Delivery(id=delivery_id(n.id, channel, target), notification_id=n.id, unit_id=n.unit_id, channel=channel,
                         kind=n.kind, target=target, urgent=urgent, created_at=now, next_attempt_at=held or now, held_until=held)
            session.add(d)
            out.append(d)
    if out:
        session.info[STAGED] = True
    return out


async def deliveries_of(*, session: AsyncSession, notification_ids: Sequence[str]) -> list[Delivery]:
    """The deliveries of the given notices."""
    stmt = select(Delivery).where(col(Delivery.notification_id).in_(list(notification_ids)))
    return list((await session.exec(stmt.order_by(col(Delivery.channel)))).all())
