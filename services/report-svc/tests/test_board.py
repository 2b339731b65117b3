"""The submission board (填报进度), the overdue list and the district rankings, read over HTTP."""

from __future__ import annotations

from duban_shared.clock import business_today
from duban_shared.events.catalogue import TaskAcknowledged


async def test_board_of_an_item_in_org_tree_order(report, scenario) -> None:
    """City first, then each district bureau followed by its schools; withdrawn tasks are not on the board."""
    r = await report.get(f"/api/reports/plans/{scenario.plan_id}/board?item_id={scenario.item1}")
    assert r.status_code == 200, r.text
    b = r.json()
    assert [x["code"] for x in b["items"]] == ["C0-01", "D01", "D01-S1", "D01-S2", "D02"]
    assert b["totals"] == {"units": 5, "acknowledged": 3, "not_acknowledged": 2, "submitted": 1, "not_submitted": 4}
    rows = {x["code"]: x for x in b["items"]}
    assert (rows["D01-S1"]["acknowledged"], rows["D01-S1"]["submitted"], rows["D01-S1"]["overdue"]) == (True, False, True)
    assert rows["D01-S1"]["last_report"]["percent"] == 30 and rows["D01-S1"]["last_report"]["at"].startswith("2026-03-01T08:03")
    assert rows["D01-S2"]["last_report"] is None and rows["D01-S2"]["acknowledged"] is False
    assert (rows["D02"]["status"], rows["D02"]["submitted"], rows["D02"]["name"]) == ("completed", True, "江北区教育局")
    paged = (await report.get(f"/api/reports/plans/{scenario.plan_id}/board?item_id={scenario.item1}&limit=2&offset=2")).json()
    assert [x["code"] for x in paged["items"]] == ["D01-S1", "D01-S2"] and paged["total"] == 5


async def test_board_of_a_parent_task_and_scoping(report, scenario) -> None:
    """A district's board of its own task lists its schools; a district sees its part of an item's board only."""
    d, t = report.directory, scenario.tasks
    b = (await report.get(f"/api/reports/plans/{scenario.plan_id}/board?parent_id={t['d1'].id}", report.district(d.d1))).json()
    assert [x["code"] for x in b["items"]] == ["D01-S1", "D01-S2"] and b["totals"]["acknowledged"] == 1
    mine = (await report.get(f"/api/reports/plans/{scenario.plan_id}/board?item_id={scenario.item1}", report.district(d.d1))).json()
    assert [x["code"] for x in mine["items"]] == ["D01", "D01-S1", "D01-S2"]
    school = (await report.get(f"/api/reports/plans/{scenario.plan_id}/board?item_id={scenario.item1}", report.school(d.s1b))).json()
    assert [x["code"] for x in school["items"]] == ["D01-S2"]
    # An acknowledgement moves a school to the acknowledged side.
    await report.publish_all([t["s1b"].event(TaskAcknowledged, "acknowledged", report.at(9))])
    b = (await report.get(f"/api/reports/plans/{scenario.plan_id}/board?parent_id={t['d1'].id}")).json()
    assert b["totals"]["not_acknowledged"] == 0 and all(x["acknowledged"] for x in b["items"])
    csv = (await report.get(f"/api/reports/plans/{scenario.plan_id}/board.csv?parent_id={t['d1'].id}")).content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("代码,单位,层级,状态,已签收") and "海曙区实验中学" in csv


async def test_overdue_list(report, scenario) -> None:
    """Open tasks past due (business date in Asia/Shanghai), oldest due first; completed and withdrawn ones are not late."""
    r = await report.get(f"/api/reports/plans/{scenario.plan_id}/overdue")
    assert r.status_code == 200, r.text
    o = r.json()
    assert [x["code"] for x in o["items"]] == ["C0-01", "D01-S1"] and o["total"] == 2
    assert o["items"][0]["days_overdue"] == (business_today() - report.past).days and o["items"][0]["item_number"] == "1"
    mine = (await report.get(f"/api/reports/plans/{scenario.plan_id}/overdue", report.district(report.directory.d2))).json()
    assert mine["items"] == [] and mine["total"] == 0


async def test_ranking_by_on_time_and_attainment(report, scenario) -> None:
    """On time: nobody finished on time, so D2 (completion 100%) leads D1 (0%). Attainment of the rate
    indicator (target 90%): D1 95% → capped 100%, D2 80% → 88.89%."""
    r = await report.get(f"/api/reports/plans/{scenario.plan_id}/ranking")
    assert r.status_code == 200, r.text
    k = r.json()
    d = report.directory
    assert [(e["unit_id"], e["rank"], e["on_time_rate"], e["completion_rate"]) for e in k["by_on_time"]] == [(d.d2, 1, 0.0, 1.0), (d.d1, 2, 0.0, 0.0)]
    assert [(e["unit_id"], e["rank"], e["attainment"], e["indicators_met"]) for e in k["by_indicator"]] == [(d.d1, 1, 1.0, 1), (d.d2, 2, 0.8889, 0)]
    assert "按期完成率" in k["methods"]["by_on_time"] and "封顶" in k["methods"]["by_indicator"]
    own = (await report.get(f"/api/reports/plans/{scenario.plan_id}/ranking", report.district(d.d1))).json()
    assert [(e["unit_id"], e["rank"]) for e in own["by_on_time"]] == [(d.d1, 2)] and own["districts"] == 2
