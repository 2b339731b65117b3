"""The embedded broker restarts mid-stream under the running services: nothing lost, nothing applied twice."""

from __future__ import annotations

import asyncio

import pytest

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.testing.services import bearer, eventually, running_many
from notify_svc.config import NotifySettings
from notify_svc.main import create_app as notify_app
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from report_svc.config import ReportSettings
from report_svc.main import create_app as report_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

pytestmark = pytest.mark.slow

ITEMS = 12


def _draft() -> dict:
    items = [{"number": str(i + 1), "title": f"区县重点工作{i + 1}", "body": "各区（县、市）教育局负责落实。", "lead_units": ["基础教育处"],
              "targets": {"city": True, "districts": True, "school_types": []}} for i in range(ITEMS)]
    return {"title": "明州市教育局2026年工作要点", "year": 2026, "sections": [{"number": "一", "title": "重点工作", "items": items}]}


async def test_broker_restart_while_tasks_flow(make_settings, broker) -> None:
    task_settings = make_settings(TaskSettings, demo_directory=True)
    apps = {"plan": plan_app(make_settings(PlanSettings)), "task": task_app(task_settings),
            "notify": notify_app(make_settings(NotifySettings)), "report": report_app(make_settings(ReportSettings))}
    async with running_many(apps) as c:
        admin = (await c["task"].post("/api/auth/login", json={"username": "admin", "password": "demo"})).json()["access_token"]
        districts = (await c["task"].get("/api/directory/units", params={"kind": "district"}, headers=bearer(admin))).json()["items"]
        issuer = issuer_from_settings(task_settings)
        tokens = {d["id"]: issuer.issue(Principal(username=d["code"], unit_id=d["id"], unit_kind="district", roles=("district",))) for d in districts}
        plan = (await c["plan"].post("/api/plans", json=_draft(), headers=bearer(admin))).json()
        assert (await c["plan"].post(f"/api/plans/{plan['id']}/publish", headers=bearer(admin))).status_code == 202
        expected = ITEMS * (1 + len(districts))

        async def notes(unit_id: str) -> int:
            r = await c["notify"].get("/api/notifications", params={"limit": 1}, headers=bearer(tokens[unit_id]))
            return int(r.json()["total"])

        async def started() -> bool:
            r = await c["task"].get("/api/tasks", params={"plan_id": plan["id"], "limit": 1}, headers=bearer(admin))
            return int(r.json()["total"]) > 0

        await eventually(started, what="first tasks written")
        await asyncio.to_thread(broker.restart)

        async def settled() -> bool:
            r = await c["report"].get(f"/api/reports/plans/{plan['id']}/summary", headers=bearer(admin))
            if r.status_code != 200 or r.json()["totals"]["tasks"] != expected:
                return False
            # One publication, one digest per district listing its ITEMS new tasks (never one notice per task).
            counts = [await notes(d["id"]) for d in districts]
            assert max(counts) <= 1, f"a district got more than one notice: {counts}"
            return counts == [1] * len(districts)

        await eventually(settled, timeout=120, what=f"{expected} tasks reported and one digest per district")
        await asyncio.sleep(3)  # let any late duplicate arrive
        assert await settled()
        r = await c["task"].get("/api/tasks", params={"plan_id": plan["id"], "limit": 1}, headers=bearer(admin))
        assert r.json()["total"] == expected
