"""Business gauges of report-svc: tasks by district, status and warning level, from the read model."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_shared.business_metrics import BusinessGauges, replace
from report_svc.stats.service import GONE
from report_svc.tasks.models import ReportTask
from report_svc.units.models import Unit

CITY = "市直"


async def task_gauges(conn: AsyncConnection, gauges: BusinessGauges) -> None:
    """Fill `duban_report_tasks{district,status,warning}`; a school counts under its district bureau.

    The warning is the level task-svc's deadline scheduler last announced (task.deadline_approaching /
    task.overdue), so the board and the alert on overdue jumps read the same figure as the inbox colours.
    """
    t, u = ReportTask.__table__, Unit.__table__  # type: ignore[attr-defined]
    q = (sa.select(u.c.name.label("district"), t.c.status, t.c.warning, sa.func.count().label("n"))
         .select_from(t.outerjoin(u, u.c.id == t.c.district_id))
         .where(t.c.status.not_in(GONE))
         .group_by(u.c.name, t.c.status, t.c.warning))
    values: Counter[tuple[str, str, str]] = Counter()
    for r in (await conn.execute(q)).all():
        warning = "green" if r.status == "completed" else (r.warning or "green")
        values[(r.district or CITY, r.status, warning)] += r.n
    replace(gauges.tasks, dict(values))
