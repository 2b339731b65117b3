"""Plan summary and plan list, fed by real events over the real broker, read through the HTTP API."""

from __future__ import annotations

from duban_shared.testing.services import bearer, eventually


def _counts(c: dict) -> tuple[int, int, int, int]:
    return c["tasks"], c["acknowledged"], c["completed"], c["overdue"]


async def test_summary_counts_levels_and_districts(report, scenario) -> None:
    """Totals, per level and per district: withdrawn tasks apart, overdue only when open and past due."""
    r = await report.get(f"/api/reports/plans/{scenario.plan_id}/summary")
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["plan_id"] == scenario.plan_id and s["title"] == "明州市教育局2026年工作要点" and s["version"] == 1
    assert _counts(s["totals"]) == (5, 3, 1, 2) and s["totals"]["withdrawn"] == 1 and s["totals"]["declined"] == 0
    assert s["totals"]["submitted"] == 1 and s["totals"]["completion_rate"] == 0.2
    assert s["totals"]["by_status"] == {"assigned": 2, "acknowledged": 1, "in_progress": 1, "submitted": 0, "completed": 1, "returned": 0, "declined": 0}
    # Due so far: the city task, D2 (completed late, 2026 against 2020) and the D1 school; none on time.
    assert (s["totals"]["due"], s["totals"]["on_time"], s["totals"]["on_time_rate"]) == (3, 0, 0.0)
    # Every acknowledgement came one minute after assignment; D2 submitted four minutes after.
    assert s["totals"]["median_ack_hours"] == round(60 / 3600, 2) and s["totals"]["median_submit_hours"] == round(240 / 3600, 2)
    assert _counts(s["by_level"]["city"]) == (1, 0, 0, 1)
    assert _counts(s["by_level"]["district"]) == (2, 2, 1, 0)
    assert _counts(s["by_level"]["school"]) == (2, 1, 0, 1) and s["by_level"]["school"]["withdrawn"] == 1
    d = report.directory
    rows = {x["unit_id"]: x for x in s["by_district"]}
    assert [x["unit_id"] for x in s["by_district"]] == [d.d1, d.d2]
    assert rows[d.d1]["name"] == "海曙区教育局" and _counts(rows[d.d1]) == (3, 2, 0, 1)
    assert rows[d.d1]["completion_rate"] == 0.0
    assert rows[d.d2]["name"] == "江北区教育局" and _counts(rows[d.d2]) == (1, 1, 1, 0)
    assert rows[d.d2]["withdrawn"] == 1 and rows[d.d2]["completion_rate"] == 1.0
    # Schools in org-tree order (district code, then school code); the withdrawn school counts nothing.
    assert [(x["code"], x["tasks"], x["overdue"]) for x in s["by_school"]] == [("D01-S1", 1, 1), ("D01-S2", 1, 0), ("D02-S1", 0, 0)]
    assert [x["code"] for x in s["by_department"]] == ["C0-01"]
    assert [(i["item_id"], i["tasks"]) for i in s["by_item"]] == [(scenario.item1, 5)]
    assert [(x["key"], x["tasks"]) for x in s["by_section"]] == [("一", 5)]
    assert s["since_snapshot"] is None


async def test_district_sees_only_its_own_rows(report, scenario) -> None:
    """A district bureau sees its own task and its schools' tasks; nothing of the city or other districts."""
    d = report.directory
    r = await report.get(f"/api/reports/plans/{scenario.plan_id}/summary", report.district(d.d1))
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["scope"] == {"kind": "district", "unit_id": d.d1}
    assert _counts(s["totals"]) == (3, 2, 0, 1) and s["totals"]["withdrawn"] == 0
    assert _counts(s["by_level"]["city"]) == (0, 0, 0, 0)
    assert _counts(s["by_level"]["district"]) == (1, 1, 0, 0)
    assert _counts(s["by_level"]["school"]) == (2, 1, 0, 1)
    assert [x["unit_id"] for x in s["by_district"]] == [d.d1]
    assert [x["code"] for x in s["by_school"]] == ["D01-S1", "D01-S2"]
    other = (await report.get(f"/api/reports/plans/{scenario.plan_id}/summary", report.district(d.d2))).json()
    assert _counts(other["totals"]) == (1, 1, 1, 0) and [x["unit_id"] for x in other["by_district"]] == [d.d2]
    # The city may narrow to one district and gets exactly the district's own view.
    narrowed = (await report.get(f"/api/reports/plans/{scenario.plan_id}/summary?district_id={d.d1}")).json()
    assert narrowed["totals"] == s["totals"] and narrowed["by_school"] == s["by_school"]


async def test_school_sees_its_own_figures(report, scenario) -> None:
    """A school's summary covers its own tasks only (computed live: a school has few)."""
    d = report.directory
    s = (await report.get(f"/api/reports/plans/{scenario.plan_id}/summary", report.school(d.s1a))).json()
    assert s["scope"] == {"kind": "unit", "unit_id": d.s1a}
    assert _counts(s["totals"]) == (1, 1, 0, 1) and [x["code"] for x in s["by_school"]] == ["D01-S1"]
    assert s["by_district"][0]["unit_id"] == d.d1 and s["by_district"][0]["tasks"] == 1


async def test_plan_list_counts_within_scope(report, scenario) -> None:
    """GET /api/reports/plans lists known plans with task counts, scoped like the summary."""
    r = await report.get("/api/reports/plans")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 1
    (plan,) = body["items"]
    assert plan["id"] == scenario.plan_id and plan["year"] == 2026 and _counts(plan) == (5, 3, 1, 2)
    mine = (await report.get("/api/reports/plans", report.district(report.directory.d2))).json()["items"][0]
    assert _counts(mine) == (1, 1, 1, 0)


async def test_auth_scoping_and_bad_input(report, scenario) -> None:
    """401 without a token; 403 for another district's figures; 404 for an unknown plan; 422 for malformed parameters."""
    d = report.directory
    base = f"/api/reports/plans/{scenario.plan_id}"
    paths = [f"{base}/{p}" for p in ("summary", "indicators", "export.xlsx", "overdue", "ranking", "snapshots", "summary.csv")]
    paths += ["/api/reports/plans", f"{base}/board?item_id={scenario.item1}"]
    for path in paths:
        for headers, status, code in (({}, 401, "unauthorized"), (bearer("not-a-token"), 401, "invalid_token")):
            r = await report.get(path, headers)
            assert r.status_code == status, (path, r.text)
            assert r.json()["error"]["code"] == code
    for p in ("summary", "indicators", "export.xlsx", "overdue", "board?item_id=x", "ranking", "snapshots", "summary.csv"):
        r = await report.get(f"/api/reports/plans/no-such-plan/{p}")
        assert r.status_code == 404 and r.json()["error"] == {"code": "not_found", "message": "计划不存在"}, (p, r.text)
    for p in ("summary", "indicators", "export.xlsx", "overdue", "board?item_id=" + scenario.item1, "items.csv"):
        sep = "&" if "?" in p else "?"
        r = await report.get(f"{base}/{p}{sep}district_id={d.d2}", report.district(d.d1))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", (p, r.text)
        r = await report.get(f"{base}/{p}{sep}district_id={d.d1}", report.school(d.s1a))
        assert r.status_code == 403, (p, r.text)
    assert (await report.get(f"{base}/ranking", report.school(d.s1a))).status_code == 403
    board_of_d2 = f"{base}/board?parent_id={scenario.tasks['d2'].id}"
    assert (await report.get(board_of_d2, report.district(d.d1))).status_code == 403
    for bad in ("board", f"board?item_id={scenario.item1}&parent_id=x", "overdue?limit=0", "overdue?limit=abc", "summary?district_id=" + "x" * 40,
                "board?item_id=a%20b", "overdue?offset=-1"):
        r = await report.get(f"{base}/{bad}")
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", (bad, r.text)
    assert (await report.get(f"{base}/nothing.csv")).status_code == 404
    assert (await report.get(f"{base}/board?item_id=unknown-item")).status_code == 404
    assert (await report.get(f"{base}/summary", report.admin)).status_code == 200


async def test_read_model_gauge(report, scenario) -> None:
    """/metrics carries the number of tasks in the read model."""
    async def gauge() -> bool:
        return "duban_report_read_model_tasks 6.0" in (await report.client.get("/metrics")).text

    await eventually(gauge, what="task gauge at 6")
