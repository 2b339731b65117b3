"""Gateway test fixtures: a small real HTTP upstream under uvicorn, and the gateway pointed at it."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from duban_shared.testing.broker import free_port
from duban_shared.testing.services import running
from duban_shared.testing.services import serving as serve
from gateway.config import GatewaySettings
from gateway.main import create_app

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOAD = bytes(range(256)) * 12_000  # ~3 MB, every byte value


@dataclass
class FakeUpstream:
    """What the fake service saw, and levers the tests pull."""

    url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    upload_started: asyncio.Event = field(default_factory=asyncio.Event)
    sse_closed: asyncio.Event = field(default_factory=asyncio.Event)
    slow_seconds: float = 1.5
    download_bytes: bytes = field(default=DOWNLOAD, repr=False)
    xlsx_type: str = XLSX

    def app(self) -> Starlette:
        """The upstream ASGI app."""
        return Starlette(routes=[
            Route("/healthz", self.healthz),
            Route("/api/auth/login", self.login, methods=["GET", "POST"]),
            Route("/api/auth/me", self.me),
            Route("/api/tasks/status/{code:int}", self.status, methods=["GET", "POST"]),
            Route("/api/plans/slow", self.slow),
            Route("/api/plans/import", self.upload, methods=["POST"]),
            Route("/api/notifications/stream", self.sse),
            Route("/api/reports/plans/p1/export.xlsx", self.download),
            Route("/api/{rest:path}", self.echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        ])

    async def healthz(self, _: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def echo(self, request: Request) -> JSONResponse:
        body = await request.body()
        seen = {
            "method": request.method,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.scope["query_string"].decode(),
            "headers": [[k.decode(), v.decode()] for k, v in request.headers.raw],
            "body": body.decode("utf-8", "replace"),
        }
        self.seen.append(seen)
        headers = [("x-upstream", "echo"), ("set-cookie", "a=1"), ("set-cookie", "b=2"),
                   ("keep-alive", "timeout=99"), ("proxy-authenticate", "Basic"), ("connection", "x-drop-me"),
                   ("x-drop-me", "1")]
        resp = JSONResponse(seen, status_code=201 if request.method == "POST" else 200)
        for k, v in headers:
            resp.raw_headers.append((k.encode(), v.encode()))
        return resp

    async def login(self, request: Request) -> JSONResponse:
        raw = await request.body()
        if not raw:
            return await self.echo(request)
        body = json.loads(raw)
        if body.get("password") != "demo":
            return JSONResponse({"error": {"code": "invalid_credentials", "message": "用户名或密码错误"}}, status_code=401)
        user = {"username": body["username"], "unit_id": "u-1", "unit_kind": "school", "unit_name": "一小", "roles": ["school"]}
        return JSONResponse({"access_token": f"tok-{body['username']}", "token_type": "bearer", "expires_in": 1800, "user": user})

    async def me(self, request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not token.startswith("tok-"):
            return JSONResponse({"error": {"code": "token_expired", "message": "登录已过期，请重新登录"}}, status_code=401)
        return JSONResponse({"username": token[4:], "unit_id": "u-1", "unit_kind": "school", "unit_name": "一小", "roles": ["school"]})

    async def status(self, request: Request) -> Response:
        code = request.path_params["code"]
        body = json.dumps({"error": {"code": "task_state", "message": "任务已提交，不能重复提交"}}, ensure_ascii=False)
        return Response(body, status_code=code, media_type="application/json", headers={"x-upstream": "status"})

    async def slow(self, _: Request) -> JSONResponse:
        await asyncio.sleep(self.slow_seconds)
        return JSONResponse({"slow": True})

    async def upload(self, request: Request) -> JSONResponse:
        digest, size, chunks = hashlib.sha256(), 0, 0
        async for chunk in request.stream():
            if chunk:
                self.upload_started.set()
                digest.update(chunk)
                size += len(chunk)
                chunks += 1
        return JSONResponse({"size": size, "sha256": digest.hexdigest(), "chunks": chunks}, status_code=201)

    async def sse(self, request: Request) -> StreamingResponse:
        hold = "hold" in request.query_params
        self.seen.append({"method": "GET", "raw_path": request.url.path, "headers": [[k.decode(), v.decode()] for k, v in request.headers.raw]})

        async def events() -> AsyncIterator[bytes]:
            try:
                yield b"data: one\n\n"
                await self.release.wait()
                yield b"data: two\n\n"
                while hold:
                    await asyncio.sleep(0.05)
                    yield b": ping\n\n"
            finally:
                self.sse_closed.set()

        return StreamingResponse(events(), media_type="text/event-stream", headers={"cache-control": "no-cache"})

    async def download(self, _: Request) -> Response:
        return Response(DOWNLOAD, media_type=XLSX, headers={"content-disposition": 'attachment; filename="plan.xlsx"'})


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """The fake service, listening on a free port."""
    fake = FakeUpstream()
    async with serve(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.fixture
def dead_url() -> str:
    """A URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def gateway_settings(upstream: FakeUpstream) -> Callable[..., GatewaySettings]:
    """Gateway settings with every upstream at the fake service, plus overrides."""

    def _make(**overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "plan_svc_url": upstream.url, "task_svc_url": upstream.url, "notify_svc_url": upstream.url,
            "report_svc_url": upstream.url, "log_json": False, "upstream_timeout": 5.0,
        }
        values.update(overrides)
        return GatewaySettings(**values)

    return _make


@pytest.fixture
def gateway(gateway_settings: Callable[..., GatewaySettings]) -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:
    """Start a gateway (lifespan included) and get a client bound to it over ASGITransport."""

    def _start(**overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return running(create_app(gateway_settings(**overrides)))

    return _start


@pytest.fixture
def serve_app() -> Callable[..., AbstractAsyncContextManager[str]]:
    """`serve` as a fixture, for tests that need a gateway on a real socket (ASGITransport buffers)."""
    return serve
