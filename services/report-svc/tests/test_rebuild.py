"""Rebuild as an event: the request leaves on report-svc's own signed topic; task-svc's parts advance it to 完成."""

from __future__ import annotations

import uuid

from duban_shared.events.catalogue import (
    ReportRebuildRequested,
    TaskAcknowledged,
    TasksSnapshotted,
    TaskState,
)
from duban_shared.testing.topics import read_envelopes


async def _status(report, request_id: str) -> dict:  # type: ignore[no-untyped-def]
    r = await report.get(f"/api/reports/rebuild/{request_id}", report.admin)
    assert r.status_code == 200, r.text
    return r.json()


async def test_rebuild_request_is_an_event_and_its_parts_are_followed(report, broker, topic_prefix) -> None:
    """202 with a request id; reports.rebuild_requested on `<prefix>.report`, sent by report-svc; parts answering it
    count towards 进行中 and, at the last one, 完成 with what changed; other snapshots leave the record alone.
    Only administrators may ask or look."""
    d = report.directory
    plan_id, item = str(uuid.uuid4()), str(uuid.uuid4())
    kept, moved, stray = (report.task(plan_id, "school", u, d.d1, item) for u in (d.s1a, d.s1b, d.s1a))
    await report.publish_all([report.batch(plan_id, item, None, [kept, moved, stray], {}, report.at(1)),
                              moved.event(TaskAcknowledged, "acknowledged", report.at(2))])

    r = await report.client.post("/api/reports/rebuild", json={"plan_id": plan_id}, headers=report.admin)
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert (accepted["plan_id"], accepted["status"]) == (plan_id, "requested") and accepted["requested_at"]
    request_id = accepted["request_id"]
    (env,) = await read_envelopes(broker.bootstrap, f"{topic_prefix}.report", count=1, types={ReportRebuildRequested.TYPE})
    assert (env.source, env.key, env.payload["request_id"], env.payload["plan_id"]) == ("report-svc", request_id, request_id, plan_id)
    assert env.payload["requested_by"] == "city-user"
    assert (await _status(report, request_id))["status_text"] == "已请求，等待任务服务"

    at, snap = report.at(30), str(uuid.uuid4())
    state = dict(plan_id=plan_id, item_id=item, level="school", issuer_unit_id=d.d1, title="任务")
    part1 = TasksSnapshotted(snapshot_id=snap, plan_id=plan_id, part=1, parts=2, at=at, request_id=request_id,
                             tasks=[TaskState(task_id=kept.id, unit_id=d.s1a, status="assigned", **state)])
    await report.publish_all([part1])
    s = await _status(report, request_id)
    assert (s["status"], s["status_text"], s["parts_received"], s["parts_expected"], s["snapshot_id"]) == ("running", "进行中", 1, 2, snap)
    assert (s["tasks"], s["added"], s["changed"], s["pruned"], s["finished_at"]) == (1, 0, 0, 0, None)

    new = str(uuid.uuid4())
    part2 = TasksSnapshotted(snapshot_id=snap, plan_id=plan_id, part=2, parts=2, at=at, request_id=request_id, tasks=[
        TaskState(task_id=moved.id, unit_id=d.s1b, status="completed", percent=100, **state),
        TaskState(task_id=new, unit_id=d.s1b, status="assigned", **state)])
    await report.publish_all([part2])
    s = await _status(report, request_id)
    assert (s["status"], s["status_text"], s["parts_received"], s["tasks"]) == ("finished", "完成", 2, 3)
    assert (s["added"], s["changed"], s["pruned"]) == (1, 1, 1) and s["finished_at"]  # `new` added, `moved` completed, `stray` gone
    counts = (await report.get(f"/api/reports/plans/{plan_id}/counts", report.admin)).json()
    assert {(r["level"], r["status"]): r["count"] for r in counts["rows"]} == {("school", "assigned"): 2, ("school", "completed"): 1}

    # An operator's resnapshot (no request id) and a replayed answer to the finished request change the tasks, not the record.
    await report.publish_all([TasksSnapshotted(snapshot_id=str(uuid.uuid4()), plan_id=plan_id, part=1, parts=1, at=report.at(40), tasks=[]),
                              TasksSnapshotted(snapshot_id=str(uuid.uuid4()), plan_id=plan_id, part=1, parts=1, at=report.at(41),
                                               request_id=request_id, tasks=[])])
    assert await _status(report, request_id) == s

    # Administrators only; malformed bodies and ids are 422, an unknown request 404 — each with the error shape.
    post = report.client.post
    assert (await post("/api/reports/rebuild", json={"plan_id": plan_id}, headers=report.city)).status_code == 403
    assert (await report.get(f"/api/reports/rebuild/{request_id}", report.city)).status_code == 403
    for body in ({"plan_id": ""}, {"plan_id": "x" * 37}, {"plan": plan_id}):
        r = await post("/api/reports/rebuild", json=body, headers=report.admin)
        assert r.status_code == 422 and r.json()["error"]["code"], body
    assert (await report.get("/api/reports/rebuild/" + "x" * 37, report.admin)).status_code == 422
    missing = await report.get(f"/api/reports/rebuild/{uuid.uuid4()}", report.admin)
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, "重建请求不存在")
