"""Warning levels by China's working-day calendar, moved by the durable scheduler under a controlled clock."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from duban_shared.clock import clock
from duban_shared.db import Database
from duban_shared.testing.services import eventually
from duban_shared.uow import UnitOfWork
from task_svc.deadlines import calendar
from task_svc.deadlines.service import scan

from .conftest import PLAN, lifecycle_app

# 2026-09-30 10:00 in Shanghai: the National Day holiday runs 1–7 October, Saturday 10 October is a make-up working day.
START = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _unfreeze():  # type: ignore[no-untyped-def]
    yield
    clock.unfreeze()


def test_working_days_follow_the_official_calendar(caplog: pytest.LogCaptureFixture) -> None:
    """3 working days after 30 September 2026 end on Saturday 10 October (调休), not on Monday 5 October."""
    assert calendar.add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert calendar.warning_level(date(2026, 10, 9), date(2026, 9, 30), 3) == "yellow"
    assert calendar.warning_level(date(2026, 10, 12), date(2026, 9, 30), 3) == "green"
    assert calendar.warning_level(date(2026, 9, 29), date(2026, 9, 30), 3) == "red"
    with caplog.at_level(logging.WARNING, logger="task_svc.deadlines.calendar"):
        assert calendar.add_workdays(date(2031, 1, 3), 2) == date(2031, 1, 7)  # Fri → Mon, Tue: Monday–Friday fallback
        assert calendar.is_workday(date(2031, 1, 11)) is False
    assert [r.getMessage() for r in caplog.records].count("chinese-calendar has no data for 2031; counting Monday to Friday as working days") == 1


async def _set_dues(org, dues: dict[str, date | None]) -> None:  # type: ignore[no-untyped-def]
    async with org.app.state.ctx.db.engine.begin() as conn:
        for tid, due in dues.items():
            await conn.execute(sa.text("UPDATE tasks SET due_date = :d WHERE id = :i"), {"d": due, "i": tid})


async def _levels(org) -> dict[str, str]:  # type: ignore[no-untyped-def]
    async with org.app.state.ctx.db.engine.connect() as conn:
        return {i: w for i, w in (await conn.execute(sa.text("SELECT id, warning FROM tasks"))).all()}


async def test_scheduler_moves_levels_once_per_change(make_settings) -> None:  # type: ignore[no-untyped-def]
    """Yellow and red each emitted once; repeated scans change nothing; submission clears the warning quietly."""
    clock.freeze(START)
    async with lifecycle_app(make_settings, warning_working_days=3) as org:
        await _set_dues(org, {"t-x1": date(2026, 10, 9), "t-x2": date(2026, 10, 10), "t-y1": date(2026, 10, 12),
                              "t-cs": date(2026, 9, 29), "t-x": None})
        scheduler = org.app.state.ctx.extras["deadlines"]
        assert await scheduler.run_once() > 0
        levels = await _levels(org)
        assert (levels["t-x1"], levels["t-x2"], levels["t-y1"], levels["t-cs"], levels["t-x"]) == ("yellow", "yellow", "green", "red", "green")
        assert await scheduler.run_once() == 0
        types = await org.outbox_types()
        assert types.count("task.deadline_approaching") == 2 and types.count("task.overdue") == 1
        r = await org.call("school-x1", "GET", "/api/tasks", params={"warning": "yellow"})
        assert [t["id"] for t in r.json()["items"]] == ["t-x1"]

        clock.advance(timedelta(days=11))  # 2026-10-11, a Sunday
        assert await scheduler.run_once() == 3
        levels = await _levels(org)
        assert (levels["t-x1"], levels["t-x2"], levels["t-y1"]) == ("red", "red", "yellow")
        types = await org.outbox_types()
        assert types.count("task.deadline_approaching") == 3 and types.count("task.overdue") == 3

        # An overdue task that is submitted turns green with no event; returned, it is overdue again (one more event).
        for path, who in (("acknowledge", "school-x1"), ("submit", "school-x1")):
            assert (await org.call(who, "POST", f"/api/tasks/t-x1/{path}", json={})).status_code == 200
        assert (await _levels(org))["t-x1"] == "green"
        r = await org.call("dist-x", "POST", "/api/tasks/t-x1/return", json={"reason": "补充材料"})
        assert r.json()["warning"] == "red"
        assert await scheduler.run_once() == 0
        assert (await org.outbox_types()).count("task.overdue") == 4


async def test_scheduler_survives_a_restart_and_runs_by_itself(make_settings, db_factory) -> None:  # type: ignore[no-untyped-def]
    """Levels are state in the database: a new instance picks up where the old one stopped, without repeating events."""
    url = db_factory.new_url("task-svc-restart")
    clock.freeze(START)
    async with lifecycle_app(make_settings, database_url=url, warning_working_days=3) as org:
        await _set_dues(org, {"t-x1": date(2026, 10, 9)})
        await org.app.state.ctx.extras["deadlines"].run_once()
        assert (await org.outbox_types()).count("task.deadline_approaching") == 1
    clock.advance(timedelta(days=10))
    async with lifecycle_app(make_settings, seeded=False, database_url=url, warning_working_days=3,
                             deadline_scheduler=True, deadline_scan_seconds=0.2) as org:
        async def overdue() -> bool:
            return (await org.outbox_types()).count("task.overdue") == 1
        await eventually(overdue, timeout=20, what="the restarted scheduler's overdue event")
        await asyncio.sleep(0.6)  # a few more ticks
        types = await org.outbox_types()
        assert types.count("task.deadline_approaching") == 1 and types.count("task.overdue") == 1


async def test_two_instances_emit_each_change_once(make_settings, db_factory, backend) -> None:  # type: ignore[no-untyped-def]
    """Two schedulers scanning one PostgreSQL database at once split the rows (SKIP LOCKED): one event per task."""
    if backend != "postgres":
        pytest.skip("SQLite runs a single task-svc instance by design; the multi-instance guarantee is PostgreSQL's")
    clock.freeze(START)
    async with lifecycle_app(make_settings, warning_working_days=3) as org:
        ctx = org.app.state.ctx
        async with ctx.db.engine.begin() as conn:
            await conn.execute(sa.text(
                "INSERT INTO tasks (id, plan_id, plan_version, level, unit_id, title, body, status, due_date, percent, origin, late_joined,"
                " warning, indicator_values, created_at, updated_at) SELECT 'bulk-' || g, :p, 1, 'school', 'u-school-x1', 't', '', 'assigned',"
                " DATE '2026-09-01', 0, 'published', false, 'green', '[]', now(), now() FROM generate_series(1, 600) g"), {"p": PLAN})
        other = Database(ctx.db.url)
        try:
            async def one(db: Database) -> int:
                total = 0
                while True:
                    async with db.sessionmaker() as s:
                        uow = UnitOfWork(s, ctx.outbox, ctx=ctx)
                        n = await scan(uow=uow, limit=50)
                        await uow.commit()
                    total += n
                    if n == 0:
                        return total
            a, b = await asyncio.gather(one(ctx.db), one(other))
        finally:
            await other.dispose()
        assert a + b == 600 and a > 0 and b > 0, (a, b)
        async with ctx.db.engine.connect() as conn:
            dup = (await conn.execute(sa.text(
                "SELECT count(*) FROM (SELECT key FROM outbox WHERE type = 'task.overdue' GROUP BY key HAVING count(*) > 1) d"))).scalar()
            total = (await conn.execute(sa.text("SELECT count(*) FROM outbox WHERE type = 'task.overdue'"))).scalar()
        assert dup == 0 and total == 600
