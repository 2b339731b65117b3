"""Issue 12: "a deactivated account's token still works for 12 hours" — now every service refuses it, and open streams end."""

from __future__ import annotations

import asyncio

import httpx

from duban_shared.testing.services import bearer, eventually, serving
from notify_svc.config import NotifySettings
from notify_svc.main import create_app as notify_app
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

CSV = "code,name,kind,parent_code\nC0,明州市教育局,city,\nD1,海曙区教育局,district,C0\n".encode()


async def test_deactivation_reaches_other_services_and_ends_streams(make_settings) -> None:
    async with serving(task_app(make_settings(TaskSettings))) as task_url:
        others = dict(token_check_url=task_url, token_check_ttl=0.2)
        async with serving(notify_app(make_settings(NotifySettings, sse_ping_seconds=0.2, **others))) as notify_url, \
                serving(plan_app(make_settings(PlanSettings, **others))) as plan_url, httpx.AsyncClient(timeout=30) as c:
            admin = bearer((await c.post(f"{task_url}/api/auth/login", json={"username": "admin", "password": "demo"})).json()["access_token"])
            r = await c.post(f"{task_url}/api/directory/import", files={"file": ("名录.csv", CSV, "text/csv")}, headers=admin)
            assert r.status_code == 200, r.text
            d1 = bearer((await c.post(f"{task_url}/api/auth/login", json={"username": "D1", "password": "demo"})).json()["access_token"])
            assert (await c.get(f"{plan_url}/api/plans", headers=d1)).status_code == 200
            assert (await c.get(f"{notify_url}/api/notifications", headers=d1)).status_code == 200
            async with c.stream("GET", f"{notify_url}/api/notifications/stream", headers=d1) as stream:
                assert stream.status_code == 200
                lines = stream.aiter_lines()
                assert "ready" in await anext(lines)
                r = await c.post(f"{task_url}/api/auth/accounts/D1/deactivate", headers=admin)
                assert r.status_code == 200, r.text

                async def ended() -> bool:
                    async with asyncio.timeout(10):
                        async for line in lines:
                            if "session_ended" in line:
                                return True
                    return False

                assert await ended()
            for url, path in ((plan_url, "/api/plans"), (notify_url, "/api/notifications"), (task_url, "/api/tasks")):
                async def refused(url: str = url, path: str = path) -> bool:
                    r = await c.get(f"{url}{path}", headers=d1)
                    return r.status_code == 401 and r.json()["error"]["code"] == "token_revoked"

                await eventually(refused, timeout=10, what=f"{path} refusing the revoked token")
