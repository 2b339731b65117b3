"""Snapshots (情况通报): manual and scheduled; the next report shows the change since the last one."""

from __future__ import annotations

from datetime import timedelta

from duban_shared.clock import business_now
from duban_shared.events.catalogue import TaskAcknowledged, TaskApproved
from report_svc.snapshots.service import take_scheduled


async def test_manual_snapshot_and_change_since(report, scenario) -> None:
    """After a snapshot, one acknowledgement and one completion show as +1 each, in totals and in the district."""
    d, t = report.directory, scenario.tasks
    base = f"/api/reports/plans/{scenario.plan_id}"
    assert (await report.client.post(f"{base}/snapshots", json={"label": "x"}, headers=report.district(d.d1))).status_code == 403
    r = await report.client.post(f"{base}/snapshots", json={"label": "第一期通报"}, headers=report.city)
    assert r.status_code == 201, r.text
    snap = r.json()
    assert snap["label"] == "第一期通报" and snap["kind"] == "manual"
    await report.publish_all([t["s1b"].event(TaskAcknowledged, "acknowledged", report.at(10)), t["d1"].event(TaskApproved, "completed", report.at(11))])
    s = (await report.get(f"{base}/summary")).json()
    ch = s["since_snapshot"]
    assert ch["snapshot"]["id"] == snap["id"]
    assert (ch["totals"]["acknowledged"], ch["totals"]["completed"], ch["totals"]["tasks"], ch["totals"]["completion_rate"]) == (1, 1, 0, 0.2)
    d1 = next(x for x in ch["by_district"] if x["unit_id"] == d.d1)
    assert (d1["acknowledged"], d1["completed"]) == (1, 1)
    mine = (await report.get(f"{base}/summary", report.district(d.d1))).json()["since_snapshot"]
    assert (mine["totals"]["acknowledged"], mine["totals"]["completed"]) == (1, 1)
    listed = (await report.get(f"{base}/snapshots")).json()
    assert [x["id"] for x in listed["items"]] == [snap["id"]]
    change_csv = (await report.get(f"{base}/change.csv")).content.decode("utf-8-sig").splitlines()
    assert change_csv[1].startswith("合计,0,1,1,1,")


async def test_scheduled_snapshots_follow_the_interval(report, scenario) -> None:
    """One scheduled snapshot per plan per interval, on the business clock."""
    ctx = report.app.state.ctx
    now = business_now()
    assert await take_scheduled(db=ctx.db, ctx=ctx, interval_days=7, now=now) == 1
    assert await take_scheduled(db=ctx.db, ctx=ctx, interval_days=7, now=now + timedelta(days=3)) == 0
    assert await take_scheduled(db=ctx.db, ctx=ctx, interval_days=7, now=now + timedelta(days=8)) == 1
    kinds = [x["kind"] for x in (await report.get(f"/api/reports/plans/{scenario.plan_id}/snapshots")).json()["items"]]
    assert kinds == ["scheduled", "scheduled"]
