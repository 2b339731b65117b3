"""The /api/* proxy: what reaches the upstream, what comes back, and what happens when it cannot answer."""

from __future__ import annotations

import json


def _headers(seen: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in seen["headers"]:
        out.setdefault(k, []).append(v)
    return out


async def test_method_path_query_body_and_headers_are_forwarded(gateway, upstream) -> None:
    async with gateway() as client:
        resp = await client.patch(
            "/api/plans/p%2F1/items/i1?plan_id=7&status=a&status=b&q=%E7%9D%A3%E5%8A%9E",
            content=json.dumps({"title": "学位保障"}, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json", "Authorization": "Bearer tok", "X-Custom": "v1",
                     "Cookie": "sid=1", "Accept-Language": "zh-CN"},
        )
    assert resp.status_code == 200, resp.text
    seen = upstream.seen[-1]
    assert seen["method"] == "PATCH"
    assert seen["raw_path"] == "/api/plans/p%2F1/items/i1"
    assert seen["query"] == "plan_id=7&status=a&status=b&q=%E7%9D%A3%E5%8A%9E"
    assert json.loads(seen["body"]) == {"title": "学位保障"}
    h = _headers(seen)
    assert h["authorization"] == ["Bearer tok"]
    assert h["x-custom"] == ["v1"]
    assert h["cookie"] == ["sid=1"]
    assert h["content-type"] == ["application/json"]
    assert h["accept-language"] == ["zh-CN"]
    assert h["host"] == [upstream.url.removeprefix("http://")]
    assert h["x-forwarded-host"] == ["test"]
    assert h["x-forwarded-proto"] == ["http"]
    assert h["x-forwarded-for"] == ["127.0.0.1"]
    # The client's own headers, not the gateway's HTTP client defaults.
    assert "python-httpx" in h["user-agent"][0] and len(h["user-agent"]) == 1


async def test_every_area_reaches_its_own_service(gateway, upstream, dead_url) -> None:
    areas = {
        "task_svc_url": ["/api/auth/login", "/api/directory/units", "/api/tasks", "/api/tasks/t1/acknowledge"],
        "plan_svc_url": ["/api/plans", "/api/plans/p1/publish"],
        "notify_svc_url": ["/api/notifications", "/api/notifications/n1/read"],
        "report_svc_url": ["/api/reports/plans/p1/summary"],
    }
    for setting, paths in areas.items():
        # Only this area's service is up: its paths answer, every other area's 502.
        others = {k: dead_url for k in areas if k != setting}
        async with gateway(**others) as client:
            for path in paths:
                assert (await client.post(path)).status_code == 201, path
            for other, other_paths in areas.items():
                if other != setting:
                    assert (await client.get(other_paths[0])).status_code == 502, other_paths[0]


async def test_hop_by_hop_headers_are_stripped_both_ways(gateway, upstream) -> None:
    async with gateway() as client:
        resp = await client.get("/api/tasks", headers={
            "Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "1", "Keep-Alive": "timeout=5", "TE": "trailers",
            "Trailer": "X-T", "Upgrade": "h2c", "Proxy-Authorization": "Basic eA==", "X-Kept": "yes",
        })
    assert resp.status_code == 200
    h = _headers(upstream.seen[-1])
    for name in ("x-secret-hop", "keep-alive", "te", "trailer", "upgrade", "proxy-authorization"):
        assert name not in h, name
    assert "x-secret-hop" not in ",".join(h.get("connection", [])).lower()
    assert h["x-kept"] == ["yes"]
    # Response: the upstream's hop-by-hop headers are gone, the rest (even repeated ones) kept.
    assert resp.headers["x-upstream"] == "echo"
    assert resp.headers.get_list("set-cookie") == ["a=1", "b=2"]
    for name in ("keep-alive", "proxy-authenticate", "x-drop-me"):
        assert name not in resp.headers, name


async def test_correlation_id_is_propagated(gateway, upstream) -> None:
    async with gateway() as client:
        given = await client.get("/api/tasks", headers={"X-Correlation-ID": "cid-abc-123"})
        made = await client.get("/api/tasks")
    assert _headers(upstream.seen[0])["x-correlation-id"] == ["cid-abc-123"]
    assert given.headers.get_list("x-correlation-id") == ["cid-abc-123"]
    generated = _headers(upstream.seen[1])["x-correlation-id"]
    assert len(generated) == 1 and generated[0]
    assert made.headers.get_list("x-correlation-id") == generated


async def test_upstream_status_and_error_body_pass_through_unchanged(gateway, upstream) -> None:
    async with gateway() as client:
        for code in (400, 401, 403, 404, 409, 422, 500, 503):
            resp = await client.post(f"/api/tasks/status/{code}")
            assert resp.status_code == code
            assert resp.json() == {"error": {"code": "task_state", "message": "任务已提交，不能重复提交"}}
            assert resp.headers["x-upstream"] == "status"
            assert resp.headers["content-type"] == "application/json"


async def test_file_download_arrives_intact(gateway, upstream) -> None:
    async with gateway() as client:
        resp = await client.get("/api/reports/plans/p1/export.xlsx")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == upstream.xlsx_type
    assert resp.headers["content-disposition"] == 'attachment; filename="plan.xlsx"'
    assert resp.content == upstream.download_bytes


async def test_unknown_api_area_is_404_in_the_error_shape(gateway, upstream) -> None:
    async with gateway() as client:
        for path in ("/api/nope", "/api/taskss", "/api/", "/api", "/nothing-here"):
            resp = await client.get(path)
            assert resp.status_code == 404, path
            assert resp.json()["error"]["code"] == "not_found", path
            assert resp.json()["error"]["message"]
    assert upstream.seen == []


async def test_upstream_down_is_502_in_the_error_shape(gateway, dead_url) -> None:
    async with gateway(task_svc_url=dead_url, plan_svc_url=dead_url) as client:
        login = await client.post("/api/auth/login", json={"username": "admin", "password": "demo"})
        plans = await client.get("/api/plans")
    assert login.status_code == 502
    assert login.json() == {"error": {"code": "upstream_unavailable", "message": "任务服务暂不可用，请稍后再试"}}
    assert plans.status_code == 502
    assert plans.json()["error"]["message"] == "计划服务暂不可用，请稍后再试"


async def test_slow_upstream_is_504(gateway, upstream) -> None:
    upstream.slow_seconds = 1.5
    async with gateway(upstream_timeout=0.3) as client:
        resp = await client.get("/api/plans/slow")
    assert resp.status_code == 504
    assert resp.json()["error"]["code"] == "upstream_timeout"
    assert "计划服务" in resp.json()["error"]["message"]


async def test_body_over_the_limit_is_413_and_never_reaches_the_upstream(gateway, upstream) -> None:
    async def chunks():
        for _ in range(4):
            yield b"x" * 1024

    async with gateway(max_body_bytes=2048) as client:
        declared = await client.post("/api/plans/import", content=b"x" * 4096)
        streamed = await client.post("/api/tasks/t1/progress", content=chunks())
        small = await client.post("/api/tasks/t1/progress", content=b"x" * 100)
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["error"]["code"] == "payload_too_large"
    assert small.status_code == 201
    assert [s["raw_path"] for s in upstream.seen] == ["/api/tasks/t1/progress"]
