"""A revised plan reaches task-svc item by item: new tasks, withdrawn tasks (status withdrawn), updated titles and deadlines."""

from __future__ import annotations

from duban_shared.testing.services import bearer, eventually, running_many
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

DRAFT = {"title": "明州市教育局2026年工作要点", "year": 2026, "sections": [{"number": "一", "title": "重点工作", "items": [
    {"number": "1", "title": "深化主题教育", "lead_units": ["机关党委"]},
    {"number": "2", "title": "扩大学前资源", "lead_units": ["基础教育处"], "targets": {"city": True, "districts": True, "school_types": []}},
    {"number": "3", "title": "推进职教改革", "lead_units": ["职教处"]},
]}]}


async def test_revision_follows_through_to_tasks(make_settings) -> None:
    apps = {"plan": plan_app(make_settings(PlanSettings)), "task": task_app(make_settings(TaskSettings, demo_directory=True))}
    async with running_many(apps) as c:
        h = bearer((await c["task"].post("/api/auth/login", json={"username": "admin", "password": "demo"})).json()["access_token"])
        plan = (await c["plan"].post("/api/plans", json=DRAFT, headers=h)).json()
        pid, (a, b, d) = plan["id"], plan["sections"][0]["items"]
        await c["plan"].post(f"/api/plans/{pid}/publish", headers=h)

        async def tasks(n: int, status: str | None = None):
            r = await c["task"].get("/api/tasks", params={"plan_id": pid, "limit": 200}, headers=h)
            items = [t for t in r.json()["items"] if status is None or t["status"] == status]
            return items if len(items) == n else None

        districts = len((await c["task"].get("/api/directory/units", params={"kind": "district"}, headers=h)).json()["items"])
        first = await eventually(lambda: tasks(3 + districts), what="tasks of version 1")
        assert {t["title"] for t in first} == {"深化主题教育", "扩大学前资源", "推进职教改革"}

        await c["plan"].patch(f"/api/plans/{pid}/items/{a['id']}", json={"title": "深化主题教育走深走实", "deadline": "2026-06-30"}, headers=h)
        await c["plan"].patch(f"/api/plans/{pid}/items/{b['id']}", json={"targets": {"city": True, "districts": False, "school_types": []}}, headers=h)
        await c["plan"].delete(f"/api/plans/{pid}/items/{d['id']}", headers=h)
        await c["plan"].post(f"/api/plans/{pid}/items", json={"section_id": plan["sections"][0]["id"], "title": "新增：加强安全管理",
                                                               "lead_units": ["安全稳定处"]}, headers=h)
        assert (await c["plan"].post(f"/api/plans/{pid}/publish", headers=h)).json()["version"] == 2

        withdrawn = await eventually(lambda: tasks(1 + districts, status="withdrawn"), what="withdrawn tasks")
        assert {t["title"] for t in withdrawn} == {"扩大学前资源", "推进职教改革"}
        assert {t["level"] for t in withdrawn if t["title"] == "扩大学前资源"} == {"district"}
        live = [t for t in await eventually(lambda: tasks(4 + districts)) if t["status"] != "withdrawn"]
        titles = {t["title"]: t for t in live}
        assert set(titles) == {"深化主题教育走深走实", "扩大学前资源", "新增：加强安全管理"}
        assert titles["深化主题教育走深走实"]["due_date"] == "2026-06-30"
        r = await c["task"].get(f"/api/tasks/{titles['深化主题教育走深走实']['id']}", headers=h)
        assert [e["action"] for e in r.json()["timeline"]] == ["created", "updated"]

        # Targeting the districts again reopens the withdrawn district tasks rather than making new ones.
        await c["plan"].patch(f"/api/plans/{pid}/items/{b['id']}", json={"targets": {"city": True, "districts": True, "school_types": []}}, headers=h)
        await c["plan"].post(f"/api/plans/{pid}/publish", headers=h)
        again = await eventually(lambda: tasks(1, status="withdrawn"), what="district tasks reopened")
        assert again[0]["title"] == "推进职教改革"
        assert len(await tasks(4 + districts)) == 4 + districts
