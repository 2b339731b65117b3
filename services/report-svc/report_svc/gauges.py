"""Business gauges of report-svc: tasks by district, status and warning level, from the read model."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_shared.business_metrics import BusinessGauges, replace
from duban_shared.clock import business_today
from report_svc.reports.service import OPEN
from report_svc.tasks.models import ReportTask
from report_svc.units.models import Unit

DUE_SOON_DAYS = 7
CITY = "市直"


def warning_of(status: str, due, today) -> str:  # type: ignore[no-untyped-def]
    """Warning levels: red = open (not yet submitted) and overdue, yellow = open and due within 7 days, else green."""
    if status not in OPEN or due is None:
        return "green"
    if due < today:
        return "red"
    return "yellow" if due <= today + timedelta(days=DUE_SOON_DAYS) else "green"


async def task_gauges(conn: AsyncConnection, gauges: BusinessGauges) -> None:
    """Fill `duban_report_tasks{district,status,warning}`; a school counts under its district bureau."""
    t, u, parent = ReportTask.__table__, Unit.__table__, sa.alias(Unit.__table__)  # type: ignore[attr-defined]
    district = sa.case((u.c.kind == "district", u.c.name), (parent.c.kind == "district", parent.c.name), else_=CITY)
    q = (sa.select(district.label("district"), t.c.status, t.c.due_date, sa.func.count().label("n"))
         .select_from(t.outerjoin(u, u.c.id == t.c.unit_id).outerjoin(parent, parent.c.id == u.c.parent_id))
         .group_by(district, t.c.status, t.c.due_date))
    today = business_today()
    values: Counter[tuple[str, str, str]] = Counter()
    for r in (await conn.execute(q)).all():
        values[(r.district or CITY, r.status, warning_of(r.status, r.due_date, today))] += r.n
    replace(gauges.tasks, dict(values))
