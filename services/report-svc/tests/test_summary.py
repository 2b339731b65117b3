"""Plan summary and plan list, fed by real events over the real broker, read through the HTTP API."""

from __future__ import annotations

from duban_shared.testing.services import bearer, eventually


def _counts(c: dict) -> tuple[int, int, int, int]:
    return c["tasks"], c["acknowledged"], c["completed"], c["overdue"]


async def test_summary_counts_levels_and_districts(report, scenario) -> None:
    """Totals, per level and per district: declined tasks apart, overdue only when open and past due."""
    r = await report.get(f"/api/reports/plans/{scenario.plan_id}/summary")
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["plan_id"] == scenario.plan_id and s["title"] == "明州市教育局2026年工作要点" and s["version"] == 1
    assert _counts(s["totals"]) == (5, 3, 1, 2) and s["totals"]["declined"] == 1
    assert s["totals"]["completion_rate"] == 0.2
    assert _counts(s["by_level"]["city"]) == (1, 0, 0, 1)
    assert _counts(s["by_level"]["district"]) == (2, 2, 1, 0)
    assert _counts(s["by_level"]["school"]) == (2, 1, 0, 1) and s["by_level"]["school"]["declined"] == 1
    d = report.directory
    rows = {x["unit_id"]: x for x in s["by_district"]}
    assert [x["unit_id"] for x in s["by_district"]] == [d.d1, d.d2]
    assert rows[d.d1]["name"] == "海曙区教育局" and _counts(rows[d.d1]) == (3, 2, 0, 1)
    assert rows[d.d1]["completion_rate"] == 0.0
    assert rows[d.d2]["name"] == "江北区教育局" and _counts(rows[d.d2]) == (1, 1, 1, 0)
    assert rows[d.d2]["declined"] == 1 and rows[d.d2]["completion_rate"] == 1.0


async def test_district_sees_only_its_own_rows(report, scenario) -> None:
    """A district bureau sees its own task and its schools' tasks; nothing of the city or other districts."""
    d = report.directory
    r = await report.get(f"/api/reports/plans/{scenario.plan_id}/summary", report.district(d.d1))
    assert r.status_code == 200, r.text
    s = r.json()
    assert _counts(s["totals"]) == (3, 2, 0, 1) and s["totals"]["declined"] == 0
    assert _counts(s["by_level"]["city"]) == (0, 0, 0, 0)
    assert _counts(s["by_level"]["district"]) == (1, 1, 0, 0)
    assert _counts(s["by_level"]["school"]) == (2, 1, 0, 1)
    assert [x["unit_id"] for x in s["by_district"]] == [d.d1]
    other = (await report.get(f"/api/reports/plans/{scenario.plan_id}/summary", report.district(d.d2))).json()
    assert _counts(other["totals"]) == (1, 1, 1, 0) and [x["unit_id"] for x in other["by_district"]] == [d.d2]


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


async def test_auth_and_unknown_plan(report, scenario) -> None:
    """No token or a bad one → 401; schools and departments → 403; an unknown plan → 404, all in the error shape."""
    paths = [f"/api/reports/plans/{scenario.plan_id}/{p}" for p in ("summary", "indicators", "export.xlsx")] + ["/api/reports/plans"]
    d = report.directory
    school = report.auth(kind="school", unit_id=d.s1a, roles=("school",))
    department = report.auth(kind="department", unit_id=d.dept, roles=("department",))
    for path in paths:
        for headers, status, code in (
            ({}, 401, "unauthorized"), (bearer("not-a-token"), 401, "invalid_token"), (school, 403, "forbidden"), (department, 403, "forbidden"),
        ):
            r = await report.get(path, headers)
            assert r.status_code == status, (path, r.text)
            assert r.json()["error"]["code"] == code
    for p in ("summary", "indicators", "export.xlsx"):
        r = await report.get(f"/api/reports/plans/no-such-plan/{p}")
        assert r.status_code == 404 and r.json()["error"] == {"code": "not_found", "message": "计划不存在"}
    admin = report.auth(kind="city", unit_id=d.city, roles=("admin",))
    assert (await report.get(f"/api/reports/plans/{scenario.plan_id}/summary", admin)).status_code == 200


async def test_read_model_gauge(report, scenario) -> None:
    """/metrics carries the number of tasks in the read model."""
    async def gauge() -> bool:
        return "duban_report_read_model_tasks 6.0" in (await report.client.get("/metrics")).text

    await eventually(gauge, what="task gauge at 6")
