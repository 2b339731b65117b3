"""The proof: a real Prometheus scrapes a running `duban up` while a plan is published and acted on; every
PromQL expression of the dashboards and alert rules then runs through Prometheus's HTTP API. Every
expression must parse, every rule must evaluate cleanly, and every dashboard panel must return data."""

from __future__ import annotations

import asyncio
import json
import math
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaProducer

from duban.monitor import Prometheus, ensure_prometheus, scrape_config
from duban_shared.testing.broker import free_port
from duban_shared.testing.upstack import Up, duban_up

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
RATE, RANGE = "30s", "10m"


def panels() -> list[tuple[str, str, str]]:
    """(dashboard/panel, kind, PromQL with Grafana's variables filled) of every dashboard query."""
    out = []
    for path in sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json")):
        for p in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            for t in p.get("targets", []):
                expr = t["expr"].replace("$__rate_interval", RATE).replace("$__range", RANGE).replace("$job", ".+")
                out.append((f"{path.stem}/{p['title']}/{t['refId']}", p["type"], expr))
    return out


def rules() -> list[tuple[str, str]]:
    """(alert, PromQL) of every rule."""
    doc = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))
    return [(r["alert"], r["expr"]) for g in doc["groups"] for r in g["rules"]]


def _draft() -> dict:
    today = date.today()
    deadlines = [today - timedelta(days=20), today + timedelta(days=3), None]
    items = [{"number": str(i + 1), "title": f"监测重点工作{i + 1}", "body": "各区（县、市）教育局负责落实。", "lead_units": ["基础教育处"],
              "deadline": d.isoformat() if d else None, "targets": {"city": True, "districts": True, "school_types": []}}
             for i, d in enumerate(deadlines)]
    return {"title": "明州市教育局2026年监测演练要点", "year": 2026, "sections": [{"number": "一", "title": "重点工作", "items": items}]}


def _login(c: httpx.Client, user: str) -> dict[str, str]:
    r = c.post("/api/auth/login", json={"username": user, "password": "demo"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def act(up: Up) -> str:
    """Publish a plan; a district acknowledges two of its tasks; a poison record goes down the dead-letter path."""
    with httpx.Client(base_url=up.gateway, timeout=60) as c:
        admin, city, haishu = _login(c, "admin"), _login(c, "city"), _login(c, "haishu")
        assert c.post("/api/auth/login", json={"username": "admin", "password": "wrong"}).status_code == 401
        plan = c.post("/api/plans", json=_draft(), headers=admin)
        assert plan.status_code == 201, plan.text
        pid = plan.json()["id"]
        assert c.post(f"/api/plans/{pid}/publish", headers=admin).status_code == 202

        def mine() -> list[dict]:
            return c.get("/api/tasks", params={"plan_id": pid, "level": "district"}, headers=haishu).json()["items"]

        deadline = time.monotonic() + 120
        while len(mine()) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        tasks = mine()
        assert len(tasks) == 3, tasks
        for t in tasks[:2]:
            assert c.post(f"/api/tasks/{t['id']}/acknowledge", headers=haishu).status_code == 200
        assert c.get("/api/tasks", params={"plan_id": pid}, headers=city).status_code == 200
        for _ in range(3):
            c.get(f"/api/reports/plans/{pid}/summary", headers=admin)
            c.get("/api/notifications", headers=haishu)
        # A second plan a few scrapes later: a histogram's first observation creates its series, and rate()
        # needs the next one to see an increase.
        time.sleep(3)
        second = c.post("/api/plans", json=_draft(), headers=admin).json()["id"]
        assert c.post(f"/api/plans/{second}/publish", headers=admin).status_code == 202

    async def poison() -> None:
        p = AIOKafkaProducer(bootstrap_servers=f"127.0.0.1:{up.env['DUBAN_BROKER_PORT']}", enable_idempotence=False)
        await p.start()
        try:
            for topic in ("duban.task", "duban.plan"):
                await p.send_and_wait(topic, b"{not an envelope", key=b"poison")
        finally:
            await p.stop()

    asyncio.run(poison())
    return pid


def has_data(result: dict) -> bool:
    """A query result with at least one real (not NaN) value."""
    data = result["data"]
    if data["resultType"] == "matrix":
        values = [float(v) for s in data["result"] for _, v in s["values"]]
    elif data["resultType"] == "vector":
        values = [float(s["value"][1]) for s in data["result"]]
    else:
        values = [float(data["result"][1])]
    return any(not math.isnan(v) for v in values)


@pytest.fixture
def up(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The stack with demo directory, chores sped up so every gauge is filled within seconds."""
    with duban_up(tmp_path, timeout=300, DUBAN_BUSINESS_GAUGE_REFRESH="1", DUBAN_RETENTION_INTERVAL="2",
                  DUBAN_CONFIRM_INTERVAL="2", DUBAN_EPOCH_CHECK="1") as u:
        yield u


def test_every_dashboard_panel_returns_data_and_every_rule_evaluates(up: Up, tmp_path: Path) -> None:
    targets = {s["name"]: f"127.0.0.1:{s['port']}" for s in up.status()["children"]}  # type: ignore[index]
    targets["duban-supervisor"] = f"127.0.0.1:{up.status()['metrics_port']}"  # type: ignore[index]
    prom = Prometheus(ensure_prometheus(), scrape_config(targets, "1s"), tmp_path / "prom", free_port()).start()
    try:
        api = httpx.Client(base_url=prom.url + "/api/v1", timeout=30)
        pid = act(up)
        print(f"plan {pid} published and acted on")

        # Every rule group loaded from deploy/prometheus/alerts.yml, and every target scraped.
        def targets_up() -> bool:
            active = api.get("/targets").json()["data"]["activeTargets"]
            return len(active) == len(targets) and all(t["health"] == "up" for t in active)

        deadline = time.monotonic() + 60
        while not targets_up() and time.monotonic() < deadline:
            time.sleep(1)
        assert targets_up(), api.get("/targets").json()

        queries = panels()
        assert len(queries) > 60
        pending = {where: (kind, expr) for where, kind, expr in queries}
        deadline = time.monotonic() + 150
        while pending and time.monotonic() < deadline:
            now = time.time()
            for where, (kind, expr) in list(pending.items()):
                if kind == "timeseries":
                    r = api.get("/query_range", params={"query": expr, "start": now - 180, "end": now, "step": 5})
                else:
                    r = api.get("/query", params={"query": expr, "time": now})
                body = r.json()
                assert r.status_code == 200 and body["status"] == "success", f"{where}: {body}"
                if has_data(body):
                    del pending[where]
            if pending:
                time.sleep(3)
        assert not pending, f"{len(pending)} of {len(queries)} panels returned no data: {sorted(pending)}"

        for alert, expr in rules():
            r = api.get("/query", params={"query": expr})
            assert r.status_code == 200 and r.json()["status"] == "success", f"{alert}: {r.text}"
        groups = api.get("/rules").json()["data"]["groups"]
        loaded = {rule["name"]: rule for g in groups for rule in g["rules"]}
        assert set(loaded) == {a for a, _ in rules()}
        bad = {n: r.get("lastError") for n, r in loaded.items() if r.get("health") not in ("ok", "unknown")}
        assert not bad, bad
    finally:
        prom.stop()
