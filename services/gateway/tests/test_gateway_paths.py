"""Issue 12: dot segments never climb out of /api to a service's /openapi.json, /docs or /metrics."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from gateway.main import create_app
from gateway.proxy import has_dot_segment

CLIMBS = ["/api/tasks/../../openapi.json", "/api/tasks/../../metrics", "/api/plans/%2e%2e/%2e%2e/docs",
          "/api/tasks/%2E%2E%2F%2E%2E%2Fmetrics", "/api/tasks/%252e%252e/%252e%252e/openapi.json", "/api/tasks/.%2e/x",
          "/api/tasks/..\\..\\metrics", "/api/tasks/./t1"]


async def raw_get(base: str, raw_path: str) -> tuple[int, dict]:
    """GET with the path exactly as given (httpx would normalise dot segments, as curl does without --path-as-is)."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET {raw_path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {}


@pytest.mark.parametrize("path", CLIMBS)
async def test_dot_segments_are_rejected_before_any_upstream(gateway_settings, serve_app, upstream, path) -> None:
    async with serve_app(create_app(gateway_settings())) as base:
        status, body = await raw_get(base, path)
    assert status == 400, body
    assert body["error"]["code"] == "bad_path"
    assert upstream.seen == []


async def test_ordinary_paths_still_pass(gateway_settings, serve_app, upstream) -> None:
    async with serve_app(create_app(gateway_settings())) as base:
        for path in ("/api/tasks/t1", "/api/plans/p%2F1", "/api/directory/units?q=..", "/api/tasks/a.b/c..d"):
            status, body = await raw_get(base, path)
            assert status == 200, (path, body)
        async with httpx.AsyncClient(base_url=base) as c:
            assert (await c.get("/metrics")).status_code == 200  # the gateway's own metrics stay


def test_has_dot_segment() -> None:
    assert all(has_dot_segment(p.encode()) for p in CLIMBS)
    assert not any(has_dot_segment(p.encode()) for p in ("/api/tasks/a.b", "/api/x/...", "/api/x/.well"))
