"""Health, readiness and metrics."""

from __future__ import annotations

import re


async def test_healthz(gateway) -> None:
    async with gateway() as client:
        resp = await client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"


async def test_readyz_is_200_when_every_upstream_answers(gateway) -> None:
    async with gateway() as client:
        resp = await client.get("/readyz")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"status": "ready", "checks": {s: "ok" for s in ("plan-svc", "task-svc", "notify-svc", "report-svc")}}


async def test_readyz_is_503_in_the_error_shape_when_an_upstream_is_down(gateway, dead_url) -> None:
    async with gateway(notify_svc_url=dead_url) as client:
        resp = await client.get("/readyz")
    assert resp.status_code == 503
    err = resp.json()["error"]
    assert err["code"] == "not_ready"
    assert "通知服务" in err["message"]
    assert err["details"]["notify-svc"].startswith("error")
    assert err["details"]["plan-svc"] == "ok"
    assert err["details"]["task-svc"] == "ok"


async def test_metrics_count_upstream_requests(gateway, dead_url) -> None:
    async with gateway(report_svc_url=dead_url) as client:
        await client.get("/api/tasks")
        await client.post("/api/tasks/status/409")
        await client.get("/api/reports/plans/p1/summary")
        resp = await client.get("/metrics")
    assert resp.status_code == 200
    text = resp.text
    assert 'duban_gateway_upstream_requests_total{service="task-svc",status="200"} 1.0' in text
    assert 'duban_gateway_upstream_requests_total{service="task-svc",status="409"} 1.0' in text
    assert 'duban_gateway_upstream_requests_total{service="report-svc",status="unavailable"} 1.0' in text
    assert re.search(r'duban_gateway_upstream_seconds_count\{service="task-svc"\} 2\.0', text)
    assert 'duban_gateway_http_requests_total{method="GET",route="/api/{path:path}",status="502"} 1.0' in text
