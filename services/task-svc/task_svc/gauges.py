"""Business gauges of task-svc: plan breakdowns in progress (breakdown jobs not yet done)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_shared.business_metrics import BusinessGauges
from task_svc.dispatch.models import BreakdownJob


async def breakdown_gauges(conn: AsyncConnection, gauges: BusinessGauges) -> None:
    """Breakdown jobs recorded and not yet written to the end (a crash resumes them)."""
    t = BreakdownJob.__table__  # type: ignore[attr-defined]
    n = (await conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.status != "done"))).scalar_one()
    gauges.breakdowns_in_progress.set(int(n))
