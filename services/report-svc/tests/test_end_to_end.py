"""plan-svc → task-svc → report-svc over the real broker: a published plan and a 签收 show up in the report."""

from __future__ import annotations

from duban_shared.testing.services import bearer, eventually, running_many
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from report_svc.config import ReportSettings
from report_svc.main import create_app as report_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

DRAFT = {
    "title": "明州市教育局2026年工作要点",
    "issuer": "明州市教育局",
    "year": 2026,
    "sections": [{"number": "一", "title": "推进基础教育优质均衡", "items": [{
        "number": "1", "title": "扩大优质学前教育资源",
        "body": "新建幼儿园30所。", "lead_units": ["基础教育处"], "supporting_units": ["各区县教育局"],
        "deadline": None, "indicators": [{"text": "新建幼儿园30所", "name": "新建幼儿园", "comparator": ">=", "target": 30, "unit": "所"}],
        "targets": {"city": True, "districts": True, "school_types": []},
    }]}],
    "key_tasks": [], "warnings": [],
}


async def test_published_plan_and_acknowledgement_reach_the_report(make_settings) -> None:
    """13 tasks (the lead department and 12 districts) are counted; a district's 签收 is too, in its own scope."""
    apps = {
        "plan": plan_app(make_settings(PlanSettings)),
        "task": task_app(make_settings(TaskSettings, demo_directory=True)),
        "report": report_app(make_settings(ReportSettings)),
    }
    async with running_many(apps) as c:
        admin = bearer((await c["task"].post("/api/auth/login", json={"username": "admin", "password": "demo"})).json()["access_token"])
        plan = (await c["plan"].post("/api/plans", json=DRAFT, headers=admin)).json()
        assert (await c["plan"].post(f"/api/plans/{plan['id']}/publish", headers=admin)).status_code == 202

        async def summary(headers: dict[str, str], tasks: int, acknowledged: int, districts: int) -> dict | None:
            r = await c["report"].get(f"/api/reports/plans/{plan['id']}/summary", headers=headers)
            if r.status_code != 200:
                return None
            s = r.json()
            named = [x for x in s["by_district"] if x["name"]]
            ok = (s["totals"]["tasks"], s["totals"]["acknowledged"], len(named), s["title"]) == (tasks, acknowledged, districts, DRAFT["title"])
            return s if ok else None

        s = await eventually(lambda: summary(admin, 13, 0, 12), timeout=90, what="13 tasks and 12 named districts in the report")
        assert (s["by_level"]["city"]["tasks"], s["by_level"]["district"]["tasks"]) == (1, 12)

        district = (await c["task"].get("/api/directory/units", params={"kind": "district", "limit": 1}, headers=admin)).json()["items"][0]
        login = await c["task"].post("/api/auth/login", json={"username": district["code"], "password": "demo"})
        mine = bearer(login.json()["access_token"])
        (task,) = (await c["task"].get("/api/tasks", params={"plan_id": plan["id"]}, headers=mine)).json()["items"]
        assert (await c["task"].post(f"/api/tasks/{task['id']}/acknowledge", headers=mine)).status_code == 200

        await eventually(lambda: summary(admin, 13, 1, 12), timeout=60, what="the acknowledgement counted")
        own = await eventually(lambda: summary(mine, 1, 1, 1), what="the district's own view")
        assert own["by_district"][0]["unit_id"] == district["id"] and own["by_district"][0]["name"] == district["name"]
        indicators = (await c["report"].get(f"/api/reports/plans/{plan['id']}/indicators", headers=admin)).json()["indicators"]
        assert [(i["name"], i["target"], i["unit"], i["reporting_units"]) for i in indicators] == [("新建幼儿园", 30.0, "所", 0)]
