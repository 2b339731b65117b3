"""Indicators over HTTP: the scenario's figures and a rate plan, with hand-computed expectations and the method shown."""

from __future__ import annotations

import uuid

from duban_shared.events.catalogue import IndicatorSnapshot, PlanItemSnapshot, TaskProgressReported


async def test_indicators_of_the_scenario(report, scenario) -> None:
    """Count: D2's own latest 12 + D1's school 5 = 17 (the withdrawn school's 100 left out).
    Rate: D1 by its school 95% (1200 pupils), D2 by its own 80% weighted by its schools' 300 pupils:
    (95×1200 + 80×300) / 1500 = 92%."""
    r = await report.get(f"/api/reports/plans/{scenario.plan_id}/indicators")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plan_id"] == scenario.plan_id and body["title"] == "明州市教育局2026年工作要点"
    count, rate = body["indicators"]
    assert (count["id"], count["item_id"], count["item_number"], count["item_title"]) == (scenario.k_count, scenario.item1, "1", "扩大优质学前教育资源")
    assert (count["name"], count["comparator"], count["target"], count["unit"], count["kind"]) == ("新建幼儿园", ">=", 30.0, "所", "count")
    assert (count["aggregation"], count["actual"], count["reporting_units"], count["met"]) == ("sum", 17.0, 2, False)
    assert count["attainment"] == round(17 / 30, 4) and "合计" in count["method"]
    assert {lv: (a["actual"], a["reporting_units"]) for lv, a in count["by_level"].items()} == {"city": (None, 0), "district": (12.0, 1), "school": (5.0, 1)}
    assert (rate["kind"], rate["aggregation"], rate["actual"], rate["weight"], rate["met"]) == ("rate", "weighted_mean", 92.0, 1500.0, True)
    assert "在校生" in rate["method"]


async def test_district_indicators_cover_its_own_tasks(report, scenario) -> None:
    """A district bureau's aggregate is over its own and its schools' tasks only."""
    r = await report.get(f"/api/reports/plans/{scenario.plan_id}/indicators", report.district(report.directory.d1))
    assert r.status_code == 200, r.text
    count, rate = r.json()["indicators"]
    assert (count["actual"], count["reporting_units"], count["met"]) == (5.0, 1, False)
    assert (rate["actual"], rate["reporting_units"], rate["met"]) == (95.0, 1, True)


async def test_rate_from_numerators_and_denominators(report) -> None:
    """公办幼儿园在园幼儿占比 ≥ 60%: 540/600, 300/400, 100/200 → 940/1200 = 78.3333%; later a school corrects
    its figure to 150/200 → 990/1200 = 82.5%. A plain mean of percentages (71.67%, then 80%) is never shown."""
    d = report.directory
    plan_id, item, k = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    ind = IndicatorSnapshot(id=k, name="公办幼儿园在园幼儿占比", comparator=">=", target=60, unit="%")
    refs = {u: report.task(plan_id, "school", u, d.d1 if u != d.s2a else d.d2, item) for u in (d.s1a, d.s1b, d.s2a)}
    at = report.at
    figures = {d.s1a: (540, 600), d.s1b: (300, 400), d.s2a: (100, 200)}
    events = [report.plan(plan_id, [PlanItemSnapshot(id=item, position=0, number="1", title="学前教育", indicators=[ind])]),
              report.batch(plan_id, item, None, list(refs.values()), {r.id: report.future for r in refs.values()}, at(1))]
    events += [refs[u].event(TaskProgressReported, "in_progress", at(2), percent=50,
                             indicator_values=[{"indicator_id": k, "numerator": n, "denominator": m}]) for u, (n, m) in figures.items()]
    await report.publish_all(events)
    (i,) = (await report.get(f"/api/reports/plans/{plan_id}/indicators")).json()["indicators"]
    assert (i["aggregation"], i["numerator"], i["denominator"], i["actual"], i["met"]) == ("ratio", 940.0, 1200.0, 78.3333, True)
    assert "940 / 1200" in i["method"]
    await report.publish_all([refs[d.s2a].event(TaskProgressReported, "in_progress", at(3), percent=60,
                                                indicator_values=[{"indicator_id": k, "numerator": 150, "denominator": 200, "value": 75}])])
    (i,) = (await report.get(f"/api/reports/plans/{plan_id}/indicators")).json()["indicators"]
    assert (i["numerator"], i["denominator"], i["actual"]) == (990.0, 1200.0, 82.5)
    assert i["by_level"]["school"]["actual"] == 82.5
