"""Business gauges of notify-svc: deliveries by channel and state, and unread in-app notices."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_shared.business_metrics import BusinessGauges, replace
from notify_svc.delivery.models import Delivery
from notify_svc.notifications.models import Notification


async def delivery_gauges(conn: AsyncConnection, gauges: BusinessGauges) -> None:
    """Outbound deliveries (pending, sent, failed) per channel; in-app notices by read state."""
    d = Delivery.__table__  # type: ignore[attr-defined]
    values: dict[tuple[str, str], int] = {}
    for channel, status, count in (await conn.execute(sa.select(d.c.channel, d.c.status, sa.func.count()).group_by(d.c.channel, d.c.status))).all():
        values[(str(channel), str(status))] = int(count)
    n = Notification.__table__  # type: ignore[attr-defined]
    q = sa.select(n.c.read_at.is_(None).label("unread"), sa.func.count()).group_by(n.c.read_at.is_(None))
    counts = {bool(unread): int(c) for unread, c in (await conn.execute(q)).all()}
    values[("in_app", "unread")] = counts.get(True, 0)
    values[("in_app", "read")] = counts.get(False, 0)
    replace(gauges.deliveries, values)
