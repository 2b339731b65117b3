"""The board answers from stored lines: they must say what the task rows say, whichever event wrote the row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from duban_shared.clock import business_today
from duban_shared.events.catalogue import (
    TaskAcknowledged,
    TaskProgressReported,
    TasksSnapshotted,
    TaskState,
    TasksWithdrawn,
    UnitUpserted,
)
from report_svc.reports import board as boards
from report_svc.stats.service import recompute

NOTE = '引号"、反斜杠\\、换行\n和分隔符\x1f都要转义'


def _same_instant(a: str | None, b: str | None) -> bool:
    return a == b or (a is not None and b is not None and datetime.fromisoformat(a) == datetime.fromisoformat(b))


async def _reference(report: Any, plan_id: str, where: Any) -> list[dict[str, Any]]:
    """The board's items computed the way the overdue list does, straight from the task and unit rows."""
    t, u = boards.T, boards.U
    async with report.app.state.ctx.db.sessionmaker() as s:
        stmt = (sa.select(*boards.board_columns(s)).select_from(t.outerjoin(u, u.c.id == t.c.unit_id))
                .where(t.c.plan_id == plan_id, where, t.c.status.not_in(("withdrawn", "reassigned"))).order_by(boards.org_order(s), t.c.id))
        return [boards._line(r, business_today().isoformat()) for r in (await s.execute(stmt)).all()]


def _assert_same(items: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [x["task_id"] for x in items] == [x["task_id"] for x in expected]
    for got, want in zip(items, expected, strict=True):
        assert list(got) == list(want), "same keys in the same order"
        for key in ("acknowledged_at", "submitted_at"):
            assert _same_instant(got.pop(key), want.pop(key)), key
        g, w = got.pop("last_report"), want.pop("last_report")
        assert (g is None) == (w is None) and (g is None or (_same_instant(g.pop("at"), w.pop("at")) and g == w))
        assert got == want


async def _board(report: Any, plan_id: str, query: str) -> dict[str, Any]:
    r = await report.get(f"/api/reports/plans/{plan_id}/board?{query}")
    assert r.status_code == 200, r.text
    return r.json()


async def test_lines_agree_with_the_rows_whichever_event_wrote_them(report, scenario) -> None:
    """Batches, lifecycle events (also one that overtakes its batch), a snapshot, a withdrawal, a renamed unit and a
    unit that reaches the directory after its task: every board line equals the one computed from the rows."""
    d, t, at = report.directory, scenario.tasks, report.at
    pid, item2 = scenario.plan_id, scenario.item2
    for loop in report.app.state.ctx.extras["loops"]:  # no background recompute: it would store lines a writer forgot
        if loop.get_name() == "report-svc-stats":
            loop.cancel()
    early = report.task(pid, "school", d.s1a, d.d1, item2)  # acknowledged before its batch arrives
    snapped = report.task(pid, "school", d.s1b, d.d1, item2)
    stranger = report.task(pid, "school", "schl-new", d.d2, item2)  # its unit is not in the directory yet
    dropped = report.task(pid, "school", d.s2a, d.d2, item2)
    # One step at a time: events of different keys may be consumed in any order.
    await report.publish_all([early.event(TaskAcknowledged, "acknowledged", at(20))])
    await report.publish_all([report.batch(pid, item2, None, [early, snapped, stranger, dropped], {early.id: report.past, snapped.id: report.future}, at(10))])
    await report.publish_all([t["s1a"].event(TaskProgressReported, "in_progress", at(21), percent=40, note=NOTE)])
    await report.publish_all([
        TasksSnapshotted(snapshot_id=str(uuid.uuid4()), plan_id=None, part=1, parts=2, at=at(22), tasks=[
            TaskState(task_id=snapped.id, plan_id=pid, item_id=item2, level="school", unit_id=d.s1b, issuer_unit_id=d.d1, status="submitted",
                      due_date=report.future, percent=90, created_at=at(10), acknowledged_at=at(11), submitted_at=at(12)),
            TaskState(task_id=t["s1a"].id, plan_id=pid, item_id=scenario.item1, parent_id=t["d1"].id, level="school", unit_id=d.s1a,
                      issuer_unit_id=d.d1, status="in_progress", due_date=report.past, percent=45, created_at=at(1), acknowledged_at=at(2))]),
        TasksWithdrawn(plan_id=pid, task_ids=[dropped.id], at=at(23)),
        UnitUpserted(id=d.s1b, code="D01-S2", name="海曙区实验中学（新校区）", kind="school", parent_id=d.d1, school_type="junior"),
    ])
    b2 = await _board(report, pid, f"item_id={item2}")
    assert [(x["code"], x["name"]) for x in b2["items"]] == [("D01-S1", "海曙区第一小学"), ("D01-S2", "海曙区实验中学（新校区）"), ("", "schl-new")]
    early_line = b2["items"][0]
    assert (early_line["due_date"], early_line["overdue"], early_line["acknowledged"]) == (report.past.isoformat(), True, True)
    assert (b2["items"][1]["status"], b2["items"][1]["percent"], b2["items"][1]["submitted"]) == ("submitted", 90, True)
    _assert_same(b2["items"], await _reference(report, pid, boards.T.c.item_id == item2))
    b1 = await _board(report, pid, f"item_id={scenario.item1}")
    s1a = next(x for x in b1["items"] if x["task_id"] == t["s1a"].id)
    assert (s1a["percent"], s1a["last_report"]["note"], s1a["last_report"]["percent"]) == (45, NOTE, 45)  # the snapshot kept the report
    _assert_same(b1["items"], await _reference(report, pid, boards.T.c.item_id == scenario.item1))

    await report.publish_all([UnitUpserted(id="schl-new", code="D02-S9", name="江北区新建学校", kind="school", parent_id=d.d2)])
    b2 = await _board(report, pid, f"item_id={item2}")
    assert [x["code"] for x in b2["items"]] == ["D01-S1", "D01-S2", "D02-S9"] and b2["items"][2]["name"] == "江北区新建学校"
    _assert_same(b2["items"], await _reference(report, pid, boards.T.c.item_id == item2))
    bp = await _board(report, pid, f"parent_id={t['d1'].id}")
    _assert_same(bp["items"], await _reference(report, pid, boards.T.c.parent_id == t["d1"].id))
    async with report.app.state.ctx.db.engine.connect() as conn:
        unlined = (await conn.execute(sa.select(boards.T.c.status).where(boards.T.c.plan_id == pid, boards.T.c.board_line.is_(None)))).scalars().all()
    assert sorted(unlined) == ["withdrawn", "withdrawn"]  # every task on the board got its line from the event that wrote it


async def test_lines_missing_after_the_upgrade_are_rendered_then_stored(report, scenario) -> None:
    """Tasks projected before 0004_board have no line: the board renders them at read (same answer), and the plan's
    next recompute stores them."""
    db, pid = report.app.state.ctx.db, scenario.plan_id
    before = await report.get(f"/api/reports/plans/{pid}/board?item_id={scenario.item1}")
    lines = boards.T.c.board_line
    async with db.engine.begin() as conn:
        await conn.execute(sa.update(boards.T).where(boards.T.c.plan_id == pid).values(board_line=None))
    after = await report.get(f"/api/reports/plans/{pid}/board?item_id={scenario.item1}")
    assert after.status_code == 200 and after.json() == before.json()
    await recompute(db, pid)
    async with db.engine.connect() as conn:
        counts = dict((await conn.execute(sa.select(boards.T.c.status, sa.func.count()).where(boards.T.c.plan_id == pid, lines.is_(None))
                                          .group_by(boards.T.c.status))).all())
    assert counts == {"withdrawn": 1}  # only the task that is not on the board stays without a line
    assert (await report.get(f"/api/reports/plans/{pid}/board?item_id={scenario.item1}")).content == before.content


async def test_a_progress_report_rewrites_the_line_at_once(report, scenario) -> None:
    """The board needs no recompute: a lifecycle event's line is stored in the event's own transaction."""
    t, pid = scenario.tasks, scenario.plan_id
    await report.publish_all([t["s1b"].event(TaskProgressReported, "in_progress", datetime(2026, 3, 2, 9, 30, tzinfo=UTC), percent=60, note="过半")])
    row = next(x for x in (await _board(report, pid, f"parent_id={t['d1'].id}"))["items"] if x["task_id"] == t["s1b"].id)
    assert (row["status"], row["acknowledged"], row["percent"]) == ("in_progress", True, 60)
    assert row["last_report"] == {"at": "2026-03-02T09:30:00+00:00", "percent": 60, "note": "过半"}
