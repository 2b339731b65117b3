"""Issue 12, accounts: production refuses default secrets, unit accounts need activation, passwords, tokens, throttling."""

from __future__ import annotations

from pathlib import Path

import bcrypt
import httpx
import pytest

from duban_shared.auth import ensure_keypair
from duban_shared.messaging.signing import ensure_event_key
from duban_shared.security import ConfigError
from duban_shared.testing.services import bearer, running
from task_svc.auth import passwords
from task_svc.config import TaskSettings
from task_svc.main import create_app

ADMIN_PW = "Zhen-gui-2026!"
CSV = "code,name,kind,parent_code,school_type\nC0,明州市教育局,city,,\nD1,海曙区教育局,district,C0,\nS1,海曙区第一小学,school,D1,primary\n".encode()


def prod(make_settings, **extra) -> TaskSettings:  # type: ignore[no-untyped-def]
    """Production-mode settings with provisioned keys (what `duban keys init` makes)."""
    settings: TaskSettings = make_settings(TaskSettings, demo_mode=False, admin_password=ADMIN_PW, **extra)
    ensure_keypair(settings.keys_dir)
    ensure_event_key(settings.keys_dir, "task-svc")
    return settings


async def login(c: httpx.AsyncClient, username: str, password: str, status: int = 200, **headers: str) -> httpx.Response:
    r = await c.post("/api/auth/login", json={"username": username, "password": password}, headers=headers)
    assert r.status_code == status, r.text
    return r


async def admin_with_directory(c: httpx.AsyncClient) -> dict[str, str]:
    h = bearer((await login(c, "admin", ADMIN_PW)).json()["access_token"])
    r = await c.post("/api/directory/import", files={"file": ("名录.csv", CSV, "text/csv")}, headers=h)
    assert r.status_code == 200, r.text
    return h


@pytest.mark.parametrize("password, words", [(None, "DUBAN_ADMIN_PASSWORD"), ("demo", "演示密码"), ("short1!", "至少"),
                                             ("长" * 30, "72 字节")])
def test_production_refuses_default_missing_or_unusable_admin_password(make_settings, password, words) -> None:
    with pytest.raises(ConfigError, match=words):
        create_app(make_settings(TaskSettings, demo_mode=False, admin_password=password))


def test_too_long_admin_password_is_a_clear_error_even_in_demo_mode(make_settings) -> None:
    with pytest.raises(ConfigError, match="72 字节"):
        create_app(make_settings(TaskSettings, admin_password="a" * 73))


def test_production_refuses_to_make_up_keys(make_settings, tmp_path: Path) -> None:
    settings = make_settings(TaskSettings, demo_mode=False, admin_password=ADMIN_PW)
    with pytest.raises(ConfigError, match="duban keys init"):
        create_app(settings)
    assert not (settings.keys_dir / "jwt-private.pem").exists()
    ensure_keypair(settings.keys_dir)
    with pytest.raises(ConfigError, match="事件签名密钥"):
        create_app(settings)


async def test_unit_accounts_need_an_activation_code(make_settings) -> None:
    async with running(create_app(prod(make_settings))) as c:
        assert (await c.get("/api/auth/config")).json()["demo"] is False
        h = await admin_with_directory(c)
        for pw in ("demo", "", "x" * 10):
            if pw:
                await login(c, "S1", pw, 401)
        r = await c.post("/api/auth/accounts/S1/reset", headers=h)
        assert r.status_code == 200, r.text
        code = r.json()["activation_code"]
        r = await c.post("/api/auth/activate", json={"username": "S1", "code": code, "password": "short"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "weak_password"
        r = await c.post("/api/auth/activate", json={"username": "S1", "code": code, "password": "Xiaoxue-2026"})
        assert r.status_code == 200, r.text
        again = await c.post("/api/auth/activate", json={"username": "S1", "code": code, "password": "Other-2026-pw"})
        assert again.status_code == 400  # one time only
        user = (await login(c, "S1", "Xiaoxue-2026")).json()["user"]
        assert {"school", "operator", "reviewer", "leader", "unit_admin"} <= set(user["roles"])


async def test_invited_people_carry_person_unit_and_roles(make_settings) -> None:
    async with running(create_app(prod(make_settings))) as c:
        h = await admin_with_directory(c)
        units = (await c.get("/api/directory/units", params={"q": "海曙区第一"}, headers=h)).json()["items"]
        school = units[0]["id"]
        r = await c.post("/api/auth/invitations", headers=h, json={"username": "zhang.san", "display_name": "张三",
                                                                   "unit_id": school, "roles": ["operator"]})
        assert r.status_code == 201, r.text
        await c.post("/api/auth/activate", json={"username": "zhang.san", "code": r.json()["activation_code"], "password": "Zhangsan-2026"})
        body = (await login(c, "zhang.san", "Zhangsan-2026")).json()
        assert body["user"]["display_name"] == "张三" and body["user"]["unit_name"] == "海曙区第一小学"
        assert set(body["user"]["roles"]) == {"school", "operator"}
        zs = bearer(body["access_token"])
        # An operator is no unit administrator: cannot invite, even into their own unit.
        r = await c.post("/api/auth/invitations", headers=zs, json={"username": "li.si", "display_name": "李四",
                                                                    "unit_id": school, "roles": ["leader"]})
        assert r.status_code == 403
        r = await c.post("/api/auth/invitations", headers=h, json={"username": "li.si", "display_name": "李四",
                                                                   "unit_id": school, "roles": ["boss"]})
        assert r.status_code == 422


async def test_password_change_policy_and_revocation(make_settings) -> None:
    async with running(create_app(make_settings(TaskSettings))) as c:  # demo mode: admin/demo
        body = (await login(c, "admin", "demo")).json()
        assert 1800 <= body["expires_in"] <= 3600
        h, refresh = bearer(body["access_token"]), body["refresh_token"]
        r = await c.post("/api/auth/password", headers=h, json={"old_password": "demo", "new_password": "admin12345"})
        assert r.status_code == 422 and "用户名" in r.json()["error"]["message"]
        r = await c.post("/api/auth/password", headers=h, json={"old_password": "wrong", "new_password": "Better-pass-1"})
        assert r.status_code == 400
        r = await c.post("/api/auth/password", headers=h, json={"old_password": "demo", "new_password": "Better-pass-1"})
        assert r.status_code == 200, r.text
        assert (await c.get("/api/auth/me", headers=h)).status_code == 401  # the old token is revoked at once
        assert (await c.post("/api/auth/refresh", json={"refresh_token": refresh})).status_code == 401
        await login(c, "admin", "demo", 401)
        fresh = (await login(c, "admin", "Better-pass-1")).json()
        r = await c.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
        assert r.status_code == 200 and (await c.get("/api/auth/me", headers=bearer(r.json()["access_token"]))).status_code == 200
        assert (await c.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]})).status_code == 401  # spent


async def test_deactivation_revokes_tokens_at_once(make_settings) -> None:
    async with running(create_app(prod(make_settings))) as c:
        h = await admin_with_directory(c)
        code = (await c.post("/api/auth/accounts/D1/reset", headers=h)).json()["activation_code"]
        await c.post("/api/auth/activate", json={"username": "D1", "code": code, "password": "Haishu-2026"})
        d1 = bearer((await login(c, "D1", "Haishu-2026")).json()["access_token"])
        assert (await c.get("/api/auth/me", headers=d1)).status_code == 200
        assert (await c.post("/api/auth/accounts/D1/deactivate", headers=h)).status_code == 200
        r = await c.get("/api/directory/units", headers=d1)
        assert r.status_code == 401 and r.json()["error"]["code"] == "token_revoked"
        await login(c, "D1", "Haishu-2026", 401)


async def test_failed_logins_are_throttled_per_account_and_address(make_settings) -> None:
    async with running(create_app(make_settings(TaskSettings))) as c:
        h = bearer((await login(c, "admin", "demo")).json()["access_token"])
        await c.post("/api/directory/import", files={"file": ("名录.csv", CSV, "text/csv")}, headers=h)  # demo: password demo
        for _ in range(5):
            await login(c, "admin", "wrong", 401)
        r = await login(c, "admin", "demo", 429)  # the right password does not get through a lockout
        assert 1 <= int(r.headers["retry-after"]) <= 30
        assert r.json()["error"]["code"] == "too_many_attempts"
        # Another account from another address is not affected; successes are never counted.
        for _ in range(8):
            await login(c, "D1", "demo", 200, **{"x-forwarded-for": "203.0.113.9"})
        # One address guessing many accounts is locked for at most 60 s.
        for i in range(20):
            await login(c, f"nobody{i}", "wrong", 401, **{"x-forwarded-for": "198.51.100.7"})
        r = await login(c, "D1", "demo", 429, **{"x-forwarded-for": "198.51.100.7"})
        assert int(r.headers["retry-after"]) <= 60
        await login(c, "D1", "demo", 200, **{"x-forwarded-for": "198.51.100.8"})


async def test_throttle_escalates_only_for_an_account_under_sustained_attack(make_settings) -> None:
    from task_svc.auth import throttle

    app = create_app(make_settings(TaskSettings))
    async with running(app):
        async with app.state.ctx.db.sessionmaker() as s:
            now, locks = 1_000_000.0, []
            for _ in range(4):
                for _ in range(5):
                    await throttle.record_failure(session=s, username="haishu", address="192.0.2.1", now=now)
                with pytest.raises(throttle.TooManyAttempts) as exc:
                    await throttle.check(session=s, username="haishu", address="192.0.2.2", now=now)
                locks.append(exc.value.retry_after)
                now += exc.value.retry_after + 1
            assert locks == [30, 60, 120, 240]
            for _ in range(200):
                await throttle.record_failure(session=s, username=f"u{now}", address="192.0.2.3", now=now)
                now += 0.01
            with pytest.raises(throttle.TooManyAttempts) as exc:
                await throttle.check(session=s, username="someone", address="192.0.2.3", now=now)
            assert exc.value.retry_after <= 60


async def test_unknown_users_cost_the_same_bcrypt_check(make_settings, monkeypatch) -> None:
    calls: list[bytes] = []
    real = bcrypt.checkpw
    monkeypatch.setattr(passwords.bcrypt, "checkpw", lambda pw, h: calls.append(h) or real(pw, h))
    async with running(create_app(make_settings(TaskSettings))) as c:
        await login(c, "no-such-user", "demo", 401)
        await login(c, "admin", "wrong", 401)
        await login(c, "admin", "x" * 100, 401)  # over 72 bytes: refused cleanly, not cut and not a 500
    assert len(calls) == 3
    assert passwords.password_problem("密" * 25 + "1a") is not None  # 77 bytes


async def test_directory_search_escapes_like_wildcards(make_settings) -> None:
    async with running(create_app(make_settings(TaskSettings))) as c:
        h = bearer((await login(c, "admin", "demo")).json()["access_token"])
        await c.post("/api/directory/import", files={"file": ("名录.csv", CSV, "text/csv")}, headers=h)
        for q in ("%", "_", "海曙%小学"):
            r = await c.get("/api/directory/units", params={"q": q}, headers=h)
            assert r.status_code == 200 and r.json()["items"] == [], (q, r.json()["items"])
        assert len((await c.get("/api/directory/units", params={"q": "海曙"}, headers=h)).json()["items"]) == 2


async def test_directory_import_refuses_formula_unit_names(make_settings) -> None:
    async with running(create_app(make_settings(TaskSettings))) as c:
        h = bearer((await login(c, "admin", "demo")).json()["access_token"])
        bad = ("code,name,kind,parent_code\nC0,明州市教育局,city,\nX1,=HYPERLINK(\"http://x\"),department,C0\n"
               "X2,@SUM(1),department,C0\nX3,-1+2,department,C0\n")
        r = await c.post("/api/directory/import", files={"file": ("名录.csv", bad.encode(), "text/csv")}, headers=h)
        body = r.json()
        assert r.status_code == 200, body
        assert body["created"] == 1 and len(body["errors"]) == 3 and all("开头" in e["message"] for e in body["errors"])


async def test_switching_a_demo_installation_to_production_retires_the_demo_password(make_settings) -> None:
    """An installation that ran in demo mode keeps its data, but nobody logs in with `demo` once it runs in production."""
    settings = make_settings(TaskSettings)
    async with running(create_app(settings)) as c:
        h = bearer((await login(c, "admin", "demo")).json()["access_token"])
        await c.post("/api/directory/import", files={"file": ("名录.csv", CSV, "text/csv")}, headers=h)
        await login(c, "D1", "demo")
    production = prod(make_settings, database_url=settings.database_url)
    async with running(create_app(production)) as c:
        for user in ("admin", "D1", "S1", "C0"):
            await login(c, user, "demo", 401)
        await login(c, "admin", ADMIN_PW)
