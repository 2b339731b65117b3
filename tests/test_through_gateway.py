"""A clerk's path through the gateway: log in, import a plan document, publish it, find the tasks and the notification."""

from __future__ import annotations

import io
from contextlib import AsyncExitStack

import docx
import httpx

from duban_shared.testing.services import bearer, eventually, running, serving
from gateway.config import GatewaySettings
from gateway.main import create_app as gateway_app
from notify_svc.config import NotifySettings
from notify_svc.main import create_app as notify_app
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from report_svc.config import ReportSettings
from report_svc.main import create_app as report_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app


def _plan_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("明州市教育局关于印发《明州市教育局2026年工作要点》的通知")
    d.add_paragraph("各区县教育局，局属各单位：现将《明州市教育局2026年工作要点》印发给你们，请认真贯彻落实。")
    d.add_paragraph("明州市教育局2026年工作要点")
    d.add_paragraph("一、推进基础教育优质均衡")
    d.add_paragraph("（一）扩大优质学前教育资源。新建幼儿园30所，普惠性幼儿园在园幼儿占比达到90%以上。(责任单位:基教处)")
    d.add_paragraph("（二）深化集团化办学。各区（县、市）新增教育集团不少于15个，6月底前完成。(牵头处室:基教处。责任处室:发展规划处)")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


async def test_clerk_path_through_the_gateway(make_settings) -> None:
    services = {"plan": (plan_app, PlanSettings, {}), "task": (task_app, TaskSettings, {"demo_directory": True}),
                "notify": (notify_app, NotifySettings, {}), "report": (report_app, ReportSettings, {})}
    async with AsyncExitStack() as stack:
        urls = {name: await stack.enter_async_context(serving(app(make_settings(cls, **extra)))) for name, (app, cls, extra) in services.items()}
        gw = gateway_app(make_settings(GatewaySettings, plan_svc_url=urls["plan"], task_svc_url=urls["task"],
                                       notify_svc_url=urls["notify"], report_svc_url=urls["report"]))
        c: httpx.AsyncClient = await stack.enter_async_context(running(gw))
        assert (await c.get("/readyz")).status_code == 200
        login = (await c.post("/api/auth/login", json={"username": "city", "password": "demo"})).json()
        h = bearer(login["access_token"])
        r = await c.post("/api/plans/import", files={"file": ("2026年工作要点.docx", _plan_docx(), "application/octet-stream")}, headers=h)
        assert r.status_code == 201, r.text
        draft = r.json()["draft"]
        assert draft["title"] == "明州市教育局2026年工作要点" and [s["title"] for s in draft["sections"]] == ["推进基础教育优质均衡"]
        first, second = draft["sections"][0]["items"]
        assert second["lead_units"] == ["基教处"] and second["supporting_units"] == ["发展规划处"] and second["deadline"] == "2026-06-30"
        assert second["targets"]["districts"] is True
        r = await c.post(f"/api/plans/{r.json()['id']}/publish", headers=h)
        assert r.status_code == 202, r.text
        pid = r.json()["id"]

        dept = bearer((await c.post("/api/auth/login", json={"username": "d-jjc", "password": "demo"})).json()["access_token"])
        haishu = bearer((await c.post("/api/auth/login", json={"username": "haishu", "password": "demo"})).json()["access_token"])

        async def tasks(headers: dict[str, str], n: int, level: str):
            items = (await c.get("/api/tasks", params={"plan_id": pid, "level": level}, headers=headers)).json()["items"]
            return items if len(items) >= n else None

        mine = await eventually(lambda: tasks(dept, 2, "city"), what="the department's tasks")
        assert {t["title"] for t in mine} == {first["title"], second["title"]}
        district_tasks = await eventually(lambda: tasks(haishu, 2, "district"), what="the district's tasks")
        district_task = next(t for t in district_tasks if t["title"] == second["title"])
        assert district_task["due_date"] == "2026-06-30"

        async def notes():
            return (await c.get("/api/notifications", headers=haishu)).json()["items"]

        # One publication, one digest for the district listing its new tasks (not one notice per task).
        [note] = await eventually(notes, what="the district's digest")
        assert note["plan_id"] == pid and note["kind"] == "tasks_assigned" and second["title"] in note["body"]
        r = await c.get(f"/api/tasks/{district_task['id']}", headers=dept)
        assert r.status_code == 200

        async def reported():
            total = (await c.get("/api/tasks", params={"plan_id": pid, "limit": 1}, headers=h)).json()["total"]
            r = await c.get(f"/api/reports/plans/{pid}/summary", headers=h)
            return r.status_code == 200 and total > 2 + 12 and r.json()["totals"]["tasks"] == total

        await eventually(reported, what="the plan's report")
        r = await c.get(f"/api/reports/plans/{pid}/export.xlsx", headers=h)
        assert r.status_code == 200 and r.content[:2] == b"PK"
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
