"""The lifecycle through the gateway with every service and the real broker: a district acknowledges, reports with
an indicator value and a file, submits; its issuer returns it, it resubmits, the issuer approves; the lead
department reminds every unacknowledged district in one call; an extension is asked for and granted; the
timeline shows all of it, and notify-svc and report-svc follow."""

from __future__ import annotations

from contextlib import AsyncExitStack

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

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
DRAFT = {
    "title": "明州市教育局2026年工作要点", "issuer": "明州市教育局", "year": 2026, "key_tasks": [], "warnings": [],
    "sections": [{"number": "一", "title": "推进基础教育优质均衡", "items": [{
        "number": "1", "title": "深化集团化办学", "body": "各区新增教育集团。", "lead_units": ["基础教育处"], "supporting_units": [],
        "deadline": "2026-12-31", "indicators": [{"text": "新增教育集团15个", "name": "新增教育集团", "comparator": ">=", "target": 15, "unit": "个"}],
        "targets": {"city": True, "districts": True, "school_types": []},
    }]}],
}


async def test_lifecycle_through_the_gateway(make_settings) -> None:
    services = {"plan": (plan_app, PlanSettings, {}), "task": (task_app, TaskSettings, {"demo_directory": True}),
                "notify": (notify_app, NotifySettings, {}), "report": (report_app, ReportSettings, {})}
    async with AsyncExitStack() as stack:
        urls = {name: await stack.enter_async_context(serving(app(make_settings(cls, **extra)))) for name, (app, cls, extra) in services.items()}
        gw = gateway_app(make_settings(GatewaySettings, plan_svc_url=urls["plan"], task_svc_url=urls["task"],
                                       notify_svc_url=urls["notify"], report_svc_url=urls["report"]))
        c: httpx.AsyncClient = await stack.enter_async_context(running(gw))

        async def login(name: str) -> dict[str, str]:
            r = await c.post("/api/auth/login", json={"username": name, "password": "demo"})
            assert r.status_code == 200, r.text
            return bearer(r.json()["access_token"])

        city, dept, haishu = await login("city"), await login("d-jjc"), await login("haishu")
        r = await c.post("/api/plans", json=DRAFT, headers=city)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        assert (await c.post(f"/api/plans/{pid}/publish", headers=city)).status_code == 202
        indicator_id = (await c.get(f"/api/plans/{pid}", headers=city)).json()["sections"][0]["items"][0]["indicators"][0]["id"]

        async def district_tasks():
            items = (await c.get("/api/tasks", params={"plan_id": pid, "level": "district"}, headers=dept)).json()["items"]
            return items if len(items) == 12 else None

        districts = await eventually(district_tasks, what="12 district tasks")
        mine = next(t for t in districts if t["unit_name"] == "海曙区教育局")
        tid, parent = mine["id"], mine["parent_id"]

        assert (await c.post(f"/api/tasks/{tid}/acknowledge", headers=haishu)).json()["status"] == "acknowledged"
        r = await c.post(f"/api/tasks/{tid}/evidence", headers=haishu, files={"file": ("集团名单.pdf", PDF, "application/pdf")})
        assert r.status_code == 201, r.text
        fid = r.json()["id"]
        r = await c.post(f"/api/tasks/{tid}/progress", headers=haishu, json={
            "percent": 50, "note": "新增2个集团", "indicator_values": [{"indicator_id": indicator_id, "value": 2}], "evidence_ids": [fid]})
        assert r.status_code == 201 and r.json()["status"] == "in_progress", r.text
        assert (await c.post(f"/api/tasks/{tid}/submit", headers=haishu, json={"summary": "完成"})).json()["status"] == "submitted"
        r = await c.post(f"/api/tasks/{tid}/approve", headers=haishu)
        assert r.status_code == 403, r.text
        r = await c.post(f"/api/tasks/{tid}/return", headers=dept, json={"reason": "请补充集团章程"})
        assert r.json()["status"] == "returned", r.text
        assert (await c.post(f"/api/tasks/{tid}/submit", headers=haishu, json={"summary": "已补充"})).json()["status"] == "submitted"
        r = await c.post(f"/api/tasks/{tid}/approve", headers=dept)
        assert r.json()["status"] == "completed", r.text

        r = await c.post("/api/tasks/remind", headers=dept, json={"parent_id": parent, "filter": "unacknowledged", "message": "请尽快签收"})
        assert r.status_code == 202 and r.json()["reminded"] == 11, r.text

        other = next(t for t in districts if t["id"] != tid)
        other_h = await login(next(u["code"] for u in (await c.get("/api/directory/units", params={"kind": "district", "limit": 20}, headers=city)).json()["items"]
                                   if u["id"] == other["unit_id"]))
        assert (await c.post(f"/api/tasks/{other['id']}/acknowledge", headers=other_h)).status_code == 200
        r = await c.post(f"/api/tasks/{other['id']}/extension", headers=other_h, json={"due_date": "2027-03-31", "reason": "场地改造"})
        assert r.status_code == 201, r.text
        r = await c.post(f"/api/tasks/{other['id']}/extension/decide", headers=dept, json={"approve": True, "note": "同意延期"})
        assert r.json()["due_date"] == "2027-03-31", r.text

        timeline = (await c.get(f"/api/tasks/{tid}", headers=haishu)).json()["timeline"]
        assert [e["action"] for e in timeline if e["action"] != "created"] == [
            "acknowledged", "evidence_uploaded", "progress_reported", "submitted", "returned", "submitted", "approved"]
        assert next(e for e in timeline if e["action"] == "returned")["reason"] == "请补充集团章程"
        tl = [e["action"] for e in (await c.get(f"/api/tasks/{other['id']}", headers=other_h)).json()["timeline"]]
        assert tl[-4:] == ["reminded", "acknowledged", "extension_requested", "extension_decided"]
        r = await c.get(f"/api/tasks/{tid}/evidence/{fid}", headers=dept)
        assert r.status_code == 200 and r.content == PDF

        async def returned_note():
            items = (await c.get("/api/notifications", headers=haishu)).json()["items"]
            return any(n["task_id"] == tid and "退回" in n["title"] for n in items)

        await eventually(returned_note, what="the district's notification of the return")

        async def completed():
            r = await c.get(f"/api/reports/plans/{pid}/summary", headers=city)
            return r.status_code == 200 and r.json()["totals"]["completed"] == 1

        await eventually(completed, what="report-svc counting the approved task")
