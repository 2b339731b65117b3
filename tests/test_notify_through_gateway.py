"""Through the gateway: a unit sets its channels, and a publication's digest reaches its open stream live."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack

import httpx

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.events import utcnow
from duban_shared.events.catalogue import (
    AssignedTask,
    PlanDispatched,
    TasksAssigned,
    UnitTaskCount,
    UnitUpserted,
)
from duban_shared.testing.publisher import publishing
from duban_shared.testing.services import bearer, serving
from gateway.config import GatewaySettings
from gateway.main import create_app as gateway_app
from notify_svc.config import NotifySettings
from notify_svc.main import create_app as notify_app

DISTRICT = UnitUpserted(id="u-hs", code="330203000", name="海曙区教育局", kind="district", parent_id="u-city")
SCHOOL = UnitUpserted(id="u-hs-p1", code="330203101", name="海曙区第一实验小学", kind="school", parent_id="u-hs", school_type="primary")


async def test_channels_and_the_digest_stream_through_the_gateway(make_settings, db_factory, broker, topic_prefix) -> None:
    """PUT/GET channels (and a 422 reason) via :8000's proxy; the school's stream gets one digest for three tasks."""
    settings = make_settings(NotifySettings, sse_ping_seconds=0.5)
    tok = issuer_from_settings(settings).issue(Principal(username="p1", unit_id=SCHOOL.id, unit_kind="school", roles=("staff",)))
    dead = "http://127.0.0.1:9"
    async with AsyncExitStack() as stack:
        notify = await stack.enter_async_context(serving(notify_app(settings)))
        gw = await stack.enter_async_context(serving(gateway_app(make_settings(
            GatewaySettings, plan_svc_url=dead, task_svc_url=dead, notify_svc_url=notify, report_svc_url=dead))))
        pub = await stack.enter_async_context(publishing(db_factory.new_url("publisher"), broker.bootstrap, topic_prefix))
        c = await stack.enter_async_context(httpx.AsyncClient(base_url=gw, timeout=30))
        h = bearer(tok)

        bad = {"channels": [{"kind": "dingtalk", "enabled": True, "target": "https://192.168.10.2/robot/send?access_token=x"}]}
        r = await c.put("/api/notifications/channels", json=bad, headers=h)
        assert r.status_code == 422 and "内网" in r.json()["error"]["message"]
        good = {"channels": [{"kind": "email", "enabled": True, "target": "hs-p1@example.edu.cn"}], "quiet_hours": {"start": "21:30", "end": "07:00"}}
        r = await c.put("/api/notifications/channels", json=good, headers=h)
        assert r.status_code == 200, r.text
        r = await c.get("/api/notifications/channels", headers=h)
        assert r.json()["quiet_hours"] == {"start": "21:30", "end": "07:00"}
        assert {ch["kind"]: ch["enabled"] for ch in r.json()["channels"]}["email"] is True

        await pub.publish([DISTRICT, SCHOOL])
        async with c.stream("GET", "/api/notifications/stream", headers=h) as stream:
            lines = stream.aiter_lines()
            event: dict[str, str] = {}
            async def next_event() -> dict[str, str]:
                fields: dict[str, str] = {}
                async for line in lines:
                    if not line:
                        if fields:
                            return fields
                        continue
                    if line.startswith(":"):
                        continue
                    k, _, v = line.partition(":")
                    fields[k] = v.strip()
                raise AssertionError("stream ended")

            assert (await next_event())["event"] == "ready"
            tasks = [AssignedTask(task_id=f"t-{i}", unit_id=SCHOOL.id, level="school", parent_id="t-d", issuer_unit_id=DISTRICT.id)
                     for i in range(3)]
            await pub.publish([
                TasksAssigned(plan_id="p-2027", title="落实课后服务", at=utcnow(), tasks=tasks[:2]),
                TasksAssigned(plan_id="p-2027", title="校园安全", at=utcnow(), tasks=tasks[2:]),
                PlanDispatched(plan_id="p-2027", plan_version=1, title="2027年工作要点", at=utcnow(), batches=2, tasks=3,
                               units=[UnitTaskCount(unit_id=SCHOOL.id, count=3)]),
            ])
            event = await next_event()
        digest = json.loads(event["data"])
        assert event["event"] == "notification" and digest["kind"] == "tasks_assigned" and digest["plan_id"] == "p-2027"
        assert digest["title"] == "新任务3项：2027年工作要点"
        listed = (await c.get("/api/notifications", headers=h)).json()
        assert listed["total"] == 1 and listed["items"][0]["id"] == digest["id"]
