"""ASGI middleware every service uses: correlation ids and request body limits."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from duban_shared.errors import error_body
from duban_shared.logging import correlation_id, new_correlation_id

HEADER = "x-correlation-id"


class CorrelationMiddleware:
    """Take the caller's X-Correlation-ID (or make one), keep it in context, echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = None
        for k, v in scope.get("headers", []):
            if k == HEADER.encode():
                cid = v.decode("latin-1")[:64]
                break
        cid = cid or new_correlation_id()
        token = correlation_id.set(cid)

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (HEADER.encode(), cid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            correlation_id.reset(token)


class _TooLarge(HTTPException):
    # An HTTPException so FastAPI's body parsing re-raises it and the error handler renders 413.
    def __init__(self, limit: int) -> None:
        mb = limit / 1024 / 1024
        super().__init__(413, f"提交的内容过大，上限为 {mb:.0f} MB" if mb >= 1 else f"提交的内容过大，上限为 {limit} 字节")
        self.limit = limit


async def _reject(send: Send, limit: int) -> None:
    mb = limit / 1024 / 1024
    body = json.dumps(error_body("payload_too_large", f"提交的内容过大，上限为 {mb:.0f} MB" if mb >= 1 else f"提交的内容过大，上限为 {limit} 字节"), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """413 for bodies over the limit, by Content-Length or by counting a streamed body."""

    def __init__(self, app: ASGIApp, default_limit: int, overrides: dict[str, int] | None = None) -> None:
        self.app = app
        self.default = default_limit
        self.overrides = sorted((overrides or {}).items(), key=lambda kv: -len(kv[0]))

    def limit_for(self, path: str) -> int:
        """The limit for a path: the longest matching override prefix, else the default."""
        for prefix, limit in self.overrides:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    if int(v) > limit:
                        await _reject(send, limit)
                        return
                except ValueError:
                    pass
        seen = 0
        started = False

        async def _receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return msg

        async def _send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, _receive, _send)
        except _TooLarge:
            if not started:
                await _reject(send, limit)
