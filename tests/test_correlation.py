"""A request's correlation id follows it into its events, the events they cause, and the JSON logs on the way."""

from __future__ import annotations

import io
import json
import logging

from duban_shared.events.catalogue import PLAN_TOPIC, TASK_TOPIC
from duban_shared.logging import JsonFormatter
from duban_shared.testing.services import bearer, running_many
from duban_shared.testing.topics import read_envelopes
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

DRAFT = {"title": "明州市教育局2026年工作要点", "year": 2026,
         "sections": [{"number": "一", "title": "党建", "items": [{"number": "1", "title": "深化主题教育", "lead_units": ["机关党委"]}]}]}


async def test_correlation_id_follows_request_into_events_and_logs(make_settings, broker, topic_prefix) -> None:
    apps = {"plan": plan_app(make_settings(PlanSettings, log_json=True)), "task": task_app(make_settings(TaskSettings, demo_directory=True, log_json=True))}
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("test"))
    async with running_many(apps) as c:
        logging.getLogger().addHandler(handler)
        try:
            token = (await c["task"].post("/api/auth/login", json={"username": "admin", "password": "demo"})).json()["access_token"]
            pid = (await c["plan"].post("/api/plans", json=DRAFT, headers=bearer(token))).json()["id"]
            r = await c["plan"].post(f"/api/plans/{pid}/publish", headers={**bearer(token), "X-Correlation-ID": "corr-duban-42"})
            assert r.status_code == 202 and r.headers["x-correlation-id"] == "corr-duban-42"
            [published] = await read_envelopes(broker.bootstrap, f"{topic_prefix}.{PLAN_TOPIC}", count=1)
            [created] = await read_envelopes(broker.bootstrap, f"{topic_prefix}.{TASK_TOPIC}", count=1, types={"tasks.assigned"})
        finally:
            logging.getLogger().removeHandler(handler)
    assert published.correlation_id == "corr-duban-42" and published.source == "plan-svc"
    assert created.correlation_id == "corr-duban-42" and created.causation_id == published.id and created.source == "task-svc"
    lines = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    handled = [x for x in lines if "dispatched" in x["msg"]]  # the breakdown worker, after the handler
    assert handled and handled[0]["correlation_id"] == "corr-duban-42"
