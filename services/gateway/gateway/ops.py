"""Operations endpoints: /healthz, /readyz, /metrics."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from duban_shared.errors import error_body
from duban_shared.metrics import metrics_endpoint
from gateway.routes import Upstream


async def healthz() -> dict[str, str]:
    """The gateway process is alive (says nothing about the services behind it)."""
    return {"status": "ok", "service": "gateway"}


async def check_upstream(client: httpx.AsyncClient, upstream: Upstream, timeout: float) -> str:
    """"ok", or why the upstream's /healthz did not answer 200 within the timeout."""
    try:
        resp = await client.get(upstream.url + "/healthz", timeout=timeout)
    except httpx.TimeoutException:
        return "error: timeout"
    except httpx.HTTPError as exc:
        return f"error: {type(exc).__name__}"
    return "ok" if resp.status_code == 200 else f"error: HTTP {resp.status_code}"


async def readyz(request: Request) -> JSONResponse:
    """200 when every upstream answers its /healthz, else 503 naming the ones that do not."""
    ups: dict[str, Upstream] = request.app.state.upstreams
    timeout = request.app.state.settings.readiness_timeout
    results = await asyncio.gather(*(check_upstream(request.app.state.http, u, timeout) for u in ups.values()))
    checks = dict(zip(ups, results, strict=True))
    if all(r == "ok" for r in results):
        return JSONResponse({"status": "ready", "checks": checks})
    down = "、".join(ups[name].label for name, r in checks.items() if r != "ok")
    return JSONResponse(error_body("not_ready", f"后台服务暂不可用：{down}", checks), status_code=503)


def install(app: FastAPI) -> None:
    """Add the routes to the app itself: with include_router, FastAPI wraps them in a way the
    shared MetricsMiddleware cannot see into, and it would label metrics by raw path."""
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["ops"])
    app.add_api_route("/readyz", readyz, methods=["GET"], tags=["ops"])
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
