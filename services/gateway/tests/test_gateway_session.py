"""Browser sessions: the token in an HttpOnly cookie, bearer upstream, CSRF on cookie writes only."""

from __future__ import annotations

import asyncio

import httpx

from gateway.main import create_app
from gateway.session import csrf_token


def _headers(seen: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in seen["headers"]:
        out.setdefault(k, []).append(v)
    return out


def _set_cookies(resp: httpx.Response) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in resp.headers.get_list("set-cookie")}


async def test_console_login_keeps_the_token_in_an_httponly_cookie(gateway) -> None:
    async with gateway() as client:
        resp = await client.post("/api/auth/session", json={"username": "p001", "password": "demo"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert "access_token" not in body and "tok-p001" not in resp.text  # never handed to page script
    assert body["user"]["unit_name"] == "一小"
    assert body["csrf_token"] == csrf_token("tok-p001")
    cookies = _set_cookies(resp)
    session = cookies["duban_session"].lower()
    assert "httponly" in session and "samesite=strict" in session and "path=/" in session and "max-age=1800" in session
    assert "secure" not in session  # plain HTTP on a desk: a Secure cookie would never come back
    assert "httponly" not in cookies["duban_csrf"].lower()
    assert resp.headers["cache-control"] == "no-store"


async def test_session_cookie_is_secure_behind_https(gateway) -> None:
    async with gateway() as client:
        resp = await client.post("/api/auth/session", json={"username": "p001", "password": "demo"},
                                 headers={"x-forwarded-proto": "https"})
    assert all("; secure" in c.lower() for c in _set_cookies(resp).values())


async def test_wrong_password_is_passed_on_and_sets_nothing(gateway) -> None:
    async with gateway() as client:
        resp = await client.post("/api/auth/session", json={"username": "p001", "password": "x"})
    assert resp.status_code == 401
    assert resp.json()["error"]["message"] == "用户名或密码错误"
    assert "set-cookie" not in resp.headers


async def test_api_login_still_returns_the_access_token(gateway) -> None:
    async with gateway() as client:
        resp = await client.post("/api/auth/login", json={"username": "p001", "password": "demo"})
    assert resp.status_code == 200 and resp.json()["access_token"] == "tok-p001"
    assert "duban_session" not in resp.headers.get("set-cookie", "")


async def test_cookie_becomes_a_bearer_header_upstream(gateway, upstream) -> None:
    async with gateway() as client:
        await client.post("/api/auth/session", json={"username": "p001", "password": "demo"})
        client.cookies.set("other", "keep")
        resp = await client.get("/api/tasks")
    assert resp.status_code == 200
    h = _headers(upstream.seen[-1])
    assert h["authorization"] == ["Bearer tok-p001"]
    assert "duban_session" not in h.get("cookie", [""])[0] and "duban_csrf" not in h.get("cookie", [""])[0]
    assert "other=keep" in h["cookie"][0]


async def test_cookie_write_needs_the_csrf_header(gateway, upstream) -> None:
    async with gateway() as client:
        login = await client.post("/api/auth/session", json={"username": "p001", "password": "demo"})
        token = login.json()["csrf_token"]
        missing = await client.post("/api/tasks/t1/acknowledge", json={})
        wrong = await client.post("/api/tasks/t1/acknowledge", json={}, headers={"x-csrf-token": csrf_token("tok-other")})
        assert upstream.seen == []  # refused at the gate: nothing reached the service
        ok = await client.post("/api/tasks/t1/acknowledge", json={}, headers={"x-csrf-token": token})
    for resp in (missing, wrong):
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "csrf_failed"
        assert "刷新" in resp.json()["error"]["message"]
    assert ok.status_code == 201
    h = _headers(upstream.seen[-1])
    assert h["authorization"] == ["Bearer tok-p001"] and "x-csrf-token" not in h


async def test_cookie_write_from_another_origin_is_refused(gateway, upstream) -> None:
    async with gateway() as client:
        login = await client.post("/api/auth/session", json={"username": "p001", "password": "demo"})
        resp = await client.post("/api/tasks/t1/acknowledge", json={},
                                 headers={"x-csrf-token": login.json()["csrf_token"], "origin": "https://evil.example"})
        same = await client.post("/api/tasks/t1/acknowledge", json={},
                                 headers={"x-csrf-token": login.json()["csrf_token"], "origin": "http://test"})
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "csrf_failed"
    assert same.status_code == 201
    assert len(upstream.seen) == 1


async def test_bearer_clients_need_no_csrf_even_with_a_cookie(gateway, upstream) -> None:
    async with gateway() as client:
        await client.post("/api/auth/session", json={"username": "p001", "password": "demo"})
        resp = await client.post("/api/tasks/t1/acknowledge", json={}, headers={"authorization": "Bearer script-token"})
    assert resp.status_code == 201
    assert _headers(upstream.seen[-1])["authorization"] == ["Bearer script-token"]


async def test_logout_clears_the_cookies_and_needs_csrf(gateway) -> None:
    async with gateway() as client:
        login = await client.post("/api/auth/session", json={"username": "p001", "password": "demo"})
        refused = await client.delete("/api/auth/session")
        out = await client.delete("/api/auth/session", headers={"x-csrf-token": login.json()["csrf_token"]})
    assert refused.status_code == 403
    assert out.status_code == 204
    cleared = _set_cookies(out)
    assert {"duban_session", "duban_csrf"} <= set(cleared)
    assert all("max-age=0" in c.lower() for c in cleared.values())


async def test_event_stream_authenticates_from_the_cookie(gateway_settings, upstream, serve_app) -> None:
    app = create_app(gateway_settings())
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        await client.post("/api/auth/session", json={"username": "p001", "password": "demo"})
        async with client.stream("GET", "/api/notifications/stream") as resp:
            assert resp.status_code == 200
            assert await asyncio.wait_for(anext(resp.aiter_lines()), 5) == "data: one"
            upstream.release.set()
    [seen] = [s for s in upstream.seen if s["raw_path"] == "/api/notifications/stream"]
    assert _headers(seen)["authorization"] == ["Bearer tok-p001"]


async def test_session_endpoint_says_who_is_logged_in(gateway) -> None:
    async with gateway() as client:
        nobody = await client.get("/api/auth/session")
        login = await client.post("/api/auth/session", json={"username": "p001", "password": "demo"})
        me = await client.get("/api/auth/session")
        client.cookies.set("duban_session", "expired-token")
        expired = await client.get("/api/auth/session")
    assert nobody.status_code == 200 and nobody.json() == {"user": None}
    assert me.status_code == 200 and me.json()["user"]["username"] == "p001"
    assert me.json()["csrf_token"] == login.json()["csrf_token"]
    assert f"duban_csrf={login.json()['csrf_token']}" in me.headers["set-cookie"]  # a lost one comes back
    assert expired.status_code == 200 and expired.json()["user"] is None and expired.json()["expired"] is True
    assert "max-age=0" in expired.headers["set-cookie"].lower()  # the dead cookie is dropped
