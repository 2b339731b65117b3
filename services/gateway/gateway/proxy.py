"""The `/api/*` reverse proxy: streams request and response bodies between client and upstream."""

from __future__ import annotations

import logging
import time
from urllib.parse import unquote

import anyio
import httpx
from fastapi import FastAPI, Request
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from duban_shared.errors import AppError
from duban_shared.logging import correlation_id, log_fields, new_correlation_id
from gateway.metrics import GatewayMetrics
from gateway.routes import STREAM_PATHS, Upstream, resolve
from gateway.session import SESSION_COOKIES, check_csrf, cookie_session

log = logging.getLogger(__name__)

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"trailers", b"upgrade", b"host"}
)
# Set by the gateway itself (re-added below, or by CorrelationMiddleware and the server on the way out).
REQUEST_OWN = frozenset({b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"x-correlation-id",
                         b"cookie", b"x-csrf-token"})
# The gateway's server writes its own Date/Server and CorrelationMiddleware its own id; passing
# the upstream's too would send each header twice.
RESPONSE_OWN = frozenset({b"content-length", b"date", b"server", b"x-correlation-id"})


def _connection_tokens(raw: list[tuple[bytes, bytes]]) -> set[bytes]:
    # Headers named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
    return {t.strip().lower() for k, v in raw if k.lower() == b"connection" for t in v.split(b",") if t.strip()}


def filter_headers(raw: list[tuple[bytes, bytes]], drop: frozenset[bytes]) -> list[tuple[bytes, bytes]]:
    """Headers without hop-by-hop ones (fixed list, proxy-*, those named in Connection) and `drop`."""
    skip = HOP_BY_HOP | drop | _connection_tokens(raw)
    out = []
    for k, v in raw:
        name = k.lower()
        if name not in skip and not name.startswith(b"proxy-"):
            out.append((name, v))
    return out


def upstream_request_headers(request: Request) -> list[tuple[bytes, bytes]]:
    """The client's headers as the upstream should see them, with X-Forwarded-* and the correlation id."""
    raw = request.headers.raw
    headers = filter_headers(raw, REQUEST_OWN)
    prior = b", ".join(v for k, v in raw if k == b"x-forwarded-for")
    client = (request.client.host if request.client else "unknown").encode("latin-1")
    headers.append((b"x-forwarded-for", prior + b", " + client if prior else client))
    headers.append((b"x-forwarded-proto", request.url.scheme.encode("latin-1")))
    host = request.headers.get("host")
    if host:
        headers.append((b"x-forwarded-host", host.encode("latin-1")))
    headers.append((b"x-correlation-id", (correlation_id.get() or new_correlation_id()).encode("latin-1")))
    # The session's own cookies stay here (the token travels as a bearer header instead); others pass.
    kept = [c for v in request.headers.getlist("cookie") for c in v.split(";")
            if c.strip() and c.split("=", 1)[0].strip() not in SESSION_COOKIES]
    if kept:
        headers.append((b"cookie", ";".join(kept).strip().encode("latin-1")))
    # A browser session: the services only know bearer tokens, so the cookie's token becomes one.
    token = cookie_session(request)
    if token:
        headers.append((b"authorization", b"Bearer " + token.encode("latin-1")))
    return headers


def upstream_url(base: str, scope: Scope) -> httpx.URL:
    """The upstream URL: the base URL's path, then the request's raw (still percent-encoded) path and query."""
    url = httpx.URL(base)
    raw = url.raw_path.rstrip(b"/") + (scope.get("raw_path") or scope["path"].encode())
    if scope.get("query_string"):
        raw += b"?" + scope["query_string"]
    return url.copy_with(raw_path=raw)


class ProxyResponse(StreamingResponse):
    """Streams an upstream response back and always closes it, also when the client goes away."""

    def __init__(self, upstream: httpx.Response, method: str) -> None:
        super().__init__(upstream.aiter_raw(), status_code=upstream.status_code)
        drop = RESPONSE_OWN - {b"content-length"} if method == "HEAD" else RESPONSE_OWN
        self.raw_headers = filter_headers(upstream.headers.raw, drop)
        self.upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry: stream while watching for the client to disconnect (an SSE may idle for minutes)."""
        try:
            async with anyio.create_task_group() as tg:

                async def watch() -> None:
                    await self.listen_for_disconnect(receive)
                    tg.cancel_scope.cancel()

                tg.start_soon(watch)
                try:
                    await self.stream_response(send)
                except OSError:
                    pass  # the client went away mid-response
                except httpx.TransportError as exc:
                    # Too late for a 502: leave the response unfinished so the server aborts the
                    # connection and the client sees a broken transfer, not a short "complete" file.
                    log.warning("upstream broke off mid-response", extra=log_fields(error=type(exc).__name__))
                tg.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await self.upstream.aclose()


def _timeout(request: Request, stream: bool) -> dict[str, float | None]:
    s = request.app.state.settings
    read = None if stream else s.upstream_timeout
    t = httpx.Timeout(connect=s.upstream_connect_timeout, read=read, write=s.upstream_timeout, pool=s.upstream_pool_timeout)
    return t.as_dict()


async def forward(request: Request, upstream: Upstream) -> Response:
    """Send the request to the upstream and stream its answer back; 502/504 when it cannot answer."""
    metrics: GatewayMetrics = request.app.state.metrics
    client: httpx.AsyncClient = request.app.state.http
    has_body = "transfer-encoding" in request.headers or request.headers.get("content-length", "0") != "0"
    # Built directly, not via client.build_request, so the client's default headers
    # (Accept-Encoding, User-Agent…) never replace what the caller sent.
    req = httpx.Request(
        request.method,
        upstream_url(upstream.url, request.scope),
        headers=upstream_request_headers(request),
        content=request.stream() if has_body else None,
        extensions={"timeout": _timeout(request, request.scope["path"] in STREAM_PATHS)},
    )
    start = time.perf_counter()
    try:
        resp = await client.send(req, stream=True)
    except httpx.TimeoutException as exc:
        metrics.upstream_requests.labels(upstream.name, "timeout").inc()
        log.warning("upstream timeout", extra=log_fields(service=upstream.name, error=type(exc).__name__))
        raise AppError(504, "upstream_timeout", f"{upstream.label}响应超时，请稍后再试") from exc
    except httpx.TransportError as exc:
        metrics.upstream_requests.labels(upstream.name, "unavailable").inc()
        log.warning("upstream unavailable", extra=log_fields(service=upstream.name, error=type(exc).__name__))
        raise AppError(502, "upstream_unavailable", f"{upstream.label}暂不可用，请稍后再试") from exc
    except ClientDisconnect:
        metrics.upstream_requests.labels(upstream.name, "client_closed").inc()
        return Response(status_code=499)  # nobody left to answer; nginx's code for it
    metrics.upstream_latency.labels(upstream.name).observe(time.perf_counter() - start)
    metrics.upstream_requests.labels(upstream.name, str(resp.status_code)).inc()
    return ProxyResponse(resp, request.method)


def has_dot_segment(raw_path: bytes) -> bool:
    """True when the path holds a `.` or `..` segment, also percent-encoded (once or more) or after a backslash."""
    text = raw_path.decode("latin-1")
    for _ in range(4):  # %252e%252e decodes to %2e%2e, then to ..
        if any(seg in (".", "..") for seg in text.replace("\\", "/").split("/")):
            return True
        decoded = unquote(text)
        if decoded == text:
            return False
        text = decoded
    return True  # still encoded after four rounds: nobody sends that by accident


async def proxy(request: Request) -> Response:
    """Every `/api/*` request: to the service that owns the area, or 404; never a path that climbs out of /api."""
    if has_dot_segment(request.scope.get("raw_path") or request.scope["path"].encode()):
        raise AppError(400, "bad_path", "请求路径不能包含 . 或 .. 段")
    upstream = resolve(request.scope["path"], request.app.state.upstreams)
    if upstream is None:
        raise AppError(404, "not_found", "请求的接口不存在")
    token = cookie_session(request)
    if token:
        check_csrf(request, token)
    return await forward(request, upstream)


def install(app: FastAPI) -> None:
    """Add the catch-all `/api/*` route to the app (after every other route)."""
    app.add_api_route("/api/{path:path}", proxy, methods=METHODS, include_in_schema=False)
