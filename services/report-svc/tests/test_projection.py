"""Projection from batches: order across partitions, withdrawals, reassignment, declines, and a rebuild from tasks.snapshotted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from duban_shared.events.catalogue import (
    TaskAcknowledged,
    TaskDeclined,
    TaskReassigned,
    TasksSnapshotted,
    TaskState,
    TasksWithdrawn,
)


async def _summary(report, plan_id: str) -> dict:  # type: ignore[no-untyped-def]
    r = await report.get(f"/api/reports/plans/{plan_id}/summary")
    assert r.status_code == 200, r.text
    return r.json()


async def test_lifecycle_event_before_its_batch(report) -> None:
    """An acknowledgement consumed before the batch that created the task: the row keeps the acknowledgement,
    and the late batch fills in title, due date and start time without moving it back to 'assigned'."""
    d = report.directory
    plan_id, item = str(uuid.uuid4()), str(uuid.uuid4())
    ref = report.task(plan_id, "school", d.s1a, d.d1, item)
    await report.publish_all([ref.event(TaskAcknowledged, "acknowledged", report.at(5))])
    await report.publish_all([report.batch(plan_id, item, None, [ref], {ref.id: report.past}, report.at(1), title="迟到的批次")])
    s = await _summary(report, plan_id)
    assert (s["totals"]["tasks"], s["totals"]["acknowledged"], s["totals"]["by_status"]["acknowledged"], s["totals"]["overdue"]) == (1, 1, 1, 1)
    assert s["totals"]["median_ack_hours"] == round(4 * 60 / 3600, 2)
    (row,) = (await report.get(f"/api/reports/plans/{plan_id}/overdue")).json()["items"]
    assert (row["title"], row["due_date"], row["status"]) == ("迟到的批次", report.past.isoformat(), "acknowledged")
    # The same batch again (a replay under a new id) changes nothing.
    await report.publish_all([report.batch(plan_id, item, None, [ref], {ref.id: report.future}, report.at(1), title="重放")])
    assert (await _summary(report, plan_id))["totals"] == s["totals"]


async def test_withdrawn_reassigned_and_declined(report) -> None:
    """tasks.withdrawn and task.reassigned stop counting; a declined task stays open (and can be overdue)."""
    d = report.directory
    plan_id, item = str(uuid.uuid4()), str(uuid.uuid4())
    a, b, c, e = (report.task(plan_id, "school", u, d.d1, item) for u in (d.s1a, d.s1b, d.s1a, d.s1b))
    due = {x.id: report.past for x in (a, b, c, e)}
    await report.publish_all([report.batch(plan_id, item, None, [a, b, c, e], due, report.at(1))])
    new = report.task(plan_id, "school", d.s2a, d.d2, item)
    await report.publish_all([
        TasksWithdrawn(plan_id=plan_id, reason="事项删除", at=report.at(2), task_ids=[a.id]),
        b.event(TaskDeclined, "declined", report.at(2), reason="非本单位职责"),
        c.event(TaskDeclined, "declined", report.at(2)), c.event(TaskReassigned, "reassigned", report.at(3), new_task_id=new.id, new_unit_id=d.s2a),
        report.batch(plan_id, item, None, [new], {new.id: report.future}, report.at(3), reason="reassigned"),
    ])
    s = await _summary(report, plan_id)
    t = s["totals"]
    assert (t["tasks"], t["withdrawn"], t["reassigned"], t["declined"], t["overdue"]) == (3, 1, 1, 1, 2)
    assert [(x["unit_id"], x["tasks"]) for x in s["by_district"]] == [(d.d1, 2), (d.d2, 1)]


async def test_rebuild_from_snapshot_overwrites_and_prunes(report) -> None:
    """tasks.snapshotted parts overwrite the projection; after the last part, tasks task-svc no longer has are gone,
    while a task changed after the snapshot keeps its newer state."""
    d = report.directory
    plan_id, item = str(uuid.uuid4()), str(uuid.uuid4())
    keep, gone, newer = (report.task(plan_id, "school", u, d.d1, item) for u in (d.s1a, d.s1b, d.s1a))
    await report.publish_all([report.batch(plan_id, item, None, [keep, gone, newer], {}, report.at(1)),
                              newer.event(TaskAcknowledged, "acknowledged", datetime(2030, 1, 1, tzinfo=UTC))])
    at = report.at(30)
    state = dict(plan_id=plan_id, item_id=item, level="school", issuer_unit_id=d.d1, title="快照")
    snap_id = str(uuid.uuid4())
    await report.publish_all([
        TasksSnapshotted(snapshot_id=snap_id, plan_id=plan_id, part=1, parts=2, at=at, tasks=[
            TaskState(task_id=keep.id, unit_id=d.s1a, status="completed", created_at=report.at(1), acknowledged_at=report.at(2),
                      submitted_at=report.at(3), completed_at=report.at(4), percent=100,
                      indicator_values=[{"indicator_id": "k1", "value": 7}], **state)]),
        TasksSnapshotted(snapshot_id=snap_id, plan_id=plan_id, part=2, parts=2, at=at, tasks=[
            TaskState(task_id=newer.id, unit_id=d.s1a, status="assigned", **state)]),
    ])
    s = await _summary(report, plan_id)
    assert (s["totals"]["tasks"], s["totals"]["completed"], s["totals"]["acknowledged"]) == (2, 1, 2)
    assert s["totals"]["by_status"]["acknowledged"] == 1  # the newer acknowledgement was not overwritten
    counts = (await report.get(f"/api/reports/plans/{plan_id}/counts", report.admin)).json()
    assert {(r["district_id"], r["level"], r["status"]): r["count"] for r in counts["rows"]} == {
        (d.d1, "school", "completed"): 1, (d.d1, "school", "acknowledged"): 1}
    assert (await report.get(f"/api/reports/plans/{plan_id}/counts", report.district(d.d1))).status_code == 403


async def test_deadlines_follow_events_and_the_business_date(report) -> None:
    """task.overdue carries the due date; an approved extension moves it; the next business day (Asia/Shanghai)
    makes a task overdue without any event, because figures computed on an earlier day are recomputed."""
    from datetime import date, timedelta

    from duban_shared.clock import clock
    from duban_shared.events.catalogue import TaskExtensionDecided, TaskOverdue

    d = report.directory
    plan_id, item = str(uuid.uuid4()), str(uuid.uuid4())
    a, b = (report.task(plan_id, "school", u, d.d1, item) for u in (d.s1a, d.s1b))
    clock.freeze(datetime(2026, 5, 10, 3, 0, tzinfo=UTC))  # 11:00 in Shanghai on 10 May
    try:
        await report.publish_all([
            report.batch(plan_id, item, None, [a, b], {a.id: date(2026, 5, 9), b.id: date(2026, 5, 10)}, report.at(1)),
            a.event(TaskOverdue, "assigned", report.at(2), due_date=date(2026, 5, 9), title="逾期"),
        ])
        s = await _summary(report, plan_id)
        assert (s["as_of"], s["totals"]["overdue"]) == ("2026-05-10", 1)
        await report.publish_all([a.event(TaskExtensionDecided, "assigned", report.at(3), request_id="r1", approved=True, due_date=date(2026, 5, 20))])
        assert (await _summary(report, plan_id))["totals"]["overdue"] == 0
        clock.advance(timedelta(hours=13))  # 00:00 on 11 May in Shanghai (16:00 UTC on 10 May)
        s = await _summary(report, plan_id)
        assert (s["as_of"], s["totals"]["overdue"]) == ("2026-05-11", 1)
        (row,) = (await report.get(f"/api/reports/plans/{plan_id}/overdue")).json()["items"]
        assert (row["task_id"], row["days_overdue"]) == (b.id, 1)
    finally:
        clock.unfreeze()
