"""Indicator aggregation: latest value per task, summed for counts, averaged for rates, within the caller's scope."""

from __future__ import annotations


async def test_indicators_aggregate_latest_values(report, scenario) -> None:
    """Counts are summed and rates averaged over reporting tasks; a declined task's values are left out."""
    r = await report.get(f"/api/reports/plans/{scenario.plan_id}/indicators")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plan_id"] == scenario.plan_id and body["title"] == "明州市教育局2026年工作要点"
    count, rate = body["indicators"]
    assert (count["id"], count["item_id"], count["item_number"], count["item_title"]) == (scenario.k_count, scenario.item1, "1", "扩大优质学前教育资源")
    assert (count["name"], count["comparator"], count["target"], count["unit"]) == ("新建幼儿园", ">=", 30.0, "所")
    # D2's latest count is 12 (not 10), the D1 school's is 5; the declined school's 100 is not counted.
    assert (count["aggregation"], count["actual"], count["reporting_tasks"], count["met"]) == ("sum", 17.0, 2, False)
    assert count["by_level"] == {
        "city": {"actual": None, "reporting_tasks": 0},
        "district": {"actual": 12.0, "reporting_tasks": 1},
        "school": {"actual": 5.0, "reporting_tasks": 1},
    }
    # The rate keeps D2's 80 from its first report, since the second one did not report it.
    assert (rate["id"], rate["unit"], rate["aggregation"], rate["actual"], rate["reporting_tasks"], rate["met"]) == (scenario.k_rate, "%", "avg", 87.5, 2, False)


async def test_district_indicators_cover_its_own_tasks(report, scenario) -> None:
    """A district bureau's aggregate is over its own and its schools' tasks only."""
    r = await report.get(f"/api/reports/plans/{scenario.plan_id}/indicators", report.district(report.directory.d1))
    assert r.status_code == 200, r.text
    count, rate = r.json()["indicators"]
    assert (count["actual"], count["reporting_tasks"], count["met"]) == (5.0, 1, False)
    assert (rate["actual"], rate["reporting_tasks"], rate["met"]) == (95.0, 1, True)
