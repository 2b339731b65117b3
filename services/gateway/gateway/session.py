"""Browser sessions: the bearer token in an HttpOnly cookie, and CSRF checks for cookie-authenticated writes."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from duban_shared.errors import AppError, error_body
from gateway.routes import resolve

SESSION_COOKIE = "duban_session"
CSRF_COOKIE = "duban_csrf"
SESSION_COOKIES = frozenset({SESSION_COOKIE, CSRF_COOKIE})
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(session_token: str) -> str:
    """The CSRF token bound to a session: only someone who can read the HttpOnly cookie's value can
    compute it, so a page on another site cannot forge it, and it holds across gateway replicas."""
    return hmac.new(b"duban-csrf-v1", session_token.encode(), hashlib.sha256).hexdigest()


def is_https(request: Request) -> bool:
    """True when the browser talks HTTPS to us, directly or through a TLS-terminating proxy."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def cookie_session(request: Request) -> str | None:
    """The session token when the request authenticates by cookie (no Authorization header), else None."""
    if request.headers.get("authorization"):
        return None
    token = request.cookies.get(SESSION_COOKIE)
    return token or None


def check_csrf(request: Request, token: str) -> None:
    """Refuse a state-changing cookie request without the session's CSRF header or from another origin."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    host = request.headers.get("x-forwarded-host") or request.headers.get("host")
    if origin and origin != "null" and host and origin.split("://", 1)[-1] != host:
        raise AppError(403, "csrf_failed", "请求来源与本站不符，已拒绝")
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), csrf_token(token).encode()):
        raise AppError(403, "csrf_failed", "页面安全校验失败，请刷新页面后重试")


def _set_cookies(resp: Response, request: Request, token: str, max_age: int) -> None:
    secure = is_https(request)
    resp.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True, secure=secure, samesite="strict")
    # Readable by the console's script: it echoes it in the X-CSRF-Token header.
    resp.set_cookie(CSRF_COOKIE, csrf_token(token), max_age=max_age, path="/", httponly=False, secure=secure,
                    samesite="strict")


def _clear_cookies(resp: Response, request: Request) -> None:
    secure = is_https(request)
    for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        resp.delete_cookie(name, path="/", httponly=http_only, secure=secure, samesite="strict")


async def login(request: Request) -> Response:
    """POST /api/auth/session: log in through task-svc and keep the token in the cookie, never in the page."""
    raw = await request.body()
    upstream = resolve("/api/auth/login", request.app.state.upstreams)
    assert upstream is not None
    client: httpx.AsyncClient = request.app.state.http
    try:
        resp = await client.post(upstream.url + "/api/auth/login", content=raw,
                                 headers={"content-type": request.headers.get("content-type", "application/json")})
    except httpx.TransportError as exc:
        raise AppError(502, "upstream_unavailable", f"{upstream.label}暂不可用，请稍后再试") from exc
    try:
        body = resp.json()
    except json.JSONDecodeError:
        body = error_body("upstream_error", "登录服务返回了无法识别的内容")
    if resp.status_code != 200:
        return JSONResponse(body, status_code=resp.status_code)
    token = body["access_token"]
    out = JSONResponse({"user": body["user"], "expires_in": body.get("expires_in"), "csrf_token": csrf_token(token)})
    _set_cookies(out, request, token, int(body.get("expires_in") or 1800))
    out.headers["cache-control"] = "no-store"
    return out


async def current(request: Request) -> Response:
    """GET /api/auth/session: who the cookie belongs to, or `{"user": null}` (a 200, so a fresh page load
    is not an error in the browser's console)."""
    token = cookie_session(request)
    out: Response
    if not token:
        out = JSONResponse({"user": None})
    else:
        upstream = resolve("/api/auth/me", request.app.state.upstreams)
        assert upstream is not None
        client: httpx.AsyncClient = request.app.state.http
        try:
            resp = await client.get(upstream.url + "/api/auth/me", headers={"authorization": f"Bearer {token}"})
        except httpx.TransportError as exc:
            raise AppError(502, "upstream_unavailable", f"{upstream.label}暂不可用，请稍后再试") from exc
        if resp.status_code == 200:
            out = JSONResponse({"user": resp.json(), "csrf_token": csrf_token(token)})
            # Restores a lost CSRF cookie on the next page load (it lives as long as the browser session).
            out.set_cookie(CSRF_COOKIE, csrf_token(token), path="/", httponly=False, secure=is_https(request),
                           samesite="strict")
        elif resp.status_code == 401:
            out = JSONResponse({"user": None, "expired": True})
            _clear_cookies(out, request)
        else:
            out = Response(resp.content, status_code=resp.status_code, media_type="application/json")
    out.headers["cache-control"] = "no-store"
    return out


async def logout(request: Request) -> Response:
    """DELETE /api/auth/session: forget the cookie (tokens are stateless; the browser drops its copy)."""
    token = cookie_session(request)
    if token:
        check_csrf(request, token)
    out = Response(status_code=204)
    _clear_cookies(out, request)
    return out


def install(app: FastAPI) -> None:
    """Add the session routes (before the `/api/*` catch-all)."""
    app.add_api_route("/api/auth/session", current, methods=["GET"], include_in_schema=False)
    app.add_api_route("/api/auth/session", login, methods=["POST"], include_in_schema=False)
    app.add_api_route("/api/auth/session", logout, methods=["DELETE"], include_in_schema=False)
