"""Business gauges of notify-svc: notices by channel and delivery state."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_shared.business_metrics import BusinessGauges, replace
from notify_svc.notifications.models import Notification


async def delivery_gauges(conn: AsyncConnection, gauges: BusinessGauges) -> None:
    """In-app notices are delivered when written; what is left to watch is whether they were read."""
    n = Notification.__table__  # type: ignore[attr-defined]
    q = sa.select(n.c.read_at.is_(None).label("unread"), sa.func.count()).group_by(n.c.read_at.is_(None))
    counts = {bool(unread): int(c) for unread, c in (await conn.execute(q)).all()}
    replace(gauges.deliveries, {("in_app", "unread"): counts.get(True, 0), ("in_app", "read"): counts.get(False, 0)})
