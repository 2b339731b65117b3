"""The walking skeleton: a plan published through plan-svc reaches every service over the real broker."""

from __future__ import annotations

from duban_shared.testing.services import bearer, eventually, running_many
from notify_svc.config import NotifySettings
from notify_svc.main import create_app as notify_app
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
        "targets": {"city": True, "districts": False, "school_types": []},
    }]}],
    "key_tasks": [], "warnings": [],
}


async def test_published_plan_reaches_every_service(make_settings) -> None:
    """plan-svc → task-svc (one task) → notify-svc (one notification) and report-svc (a count), over the real broker."""
    apps = {
        "plan": plan_app(make_settings(PlanSettings)),
        "task": task_app(make_settings(TaskSettings, demo_directory=True)),
        "notify": notify_app(make_settings(NotifySettings)),
        "report": report_app(make_settings(ReportSettings)),
    }
    async with running_many(apps) as c:
        r = await c["task"].post("/api/auth/login", json={"username": "admin", "password": "demo"})
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        r = await c["plan"].post("/api/plans", json=DRAFT, headers=bearer(token))
        assert r.status_code == 201, r.text
        plan = r.json()
        r = await c["plan"].post(f"/api/plans/{plan['id']}/publish", headers=bearer(token))
        assert r.status_code == 202 and r.json()["version"] == 1, r.text

        async def tasks():
            r = await c["task"].get("/api/tasks", params={"plan_id": plan["id"]}, headers=bearer(token))
            return r.json()["items"]

        items = await eventually(tasks, what="task from plan.published")
        assert len(items) == 1
        assert items[0]["unit_name"].startswith("基础教育处")
        assert items[0]["due_date"] == "2026-12-31"

        task = items[0]

        r = await c["task"].post("/api/auth/login", json={"username": "d-jjc", "password": "demo"})
        assert r.status_code == 200, r.text
        dept = r.json()["access_token"]
        r = await c["task"].get("/api/tasks", params={"plan_id": plan["id"]}, headers=bearer(dept))
        assert [t["id"] for t in r.json()["items"]] == [task["id"]]

        async def notifications():
            r = await c["notify"].get("/api/notifications", headers=bearer(dept))
            assert r.status_code == 200, r.text
            return r.json()["items"]

        [note] = await eventually(notifications, what="notification of the new task")
        assert note["task_id"] == task["id"] and note["plan_id"] == plan["id"] and note["read_at"] is None
        # A digest of the publication: its title counts the new tasks, its body lists them by name.
        assert note["kind"] == "tasks_assigned" and "新任务1项" in note["title"] and "扩大优质学前教育资源" in note["body"]

        async def summary():
            r = await c["report"].get(f"/api/reports/plans/{plan['id']}/summary", headers=bearer(token))
            return r.json() if r.status_code == 200 and r.json()["totals"]["tasks"] else None

        s = await eventually(summary, what="report of the plan")
        assert s["totals"]["tasks"] == 1 and s["by_level"]["city"]["tasks"] == 1
