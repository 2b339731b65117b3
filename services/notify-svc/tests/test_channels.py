"""GET/PUT /api/notifications/channels: own unit only (the city any), validation with reasons, secrets kept inside."""

from __future__ import annotations

import pytest

from duban_shared.testing.services import bearer, running
from notify_svc.channels.models import ChannelConfig
from notify_svc.config import NotifySettings
from notify_svc.main import create_app

PATH = "/api/notifications/channels"


def by_kind(body: dict) -> dict[str, dict]:
    """Channels of a response by kind."""
    return {c["kind"]: c for c in body["channels"]}


async def test_a_unit_sets_its_channels_and_sees_them_back_without_secrets(app, token, kit) -> None:
    """Defaults are in-app only; PUT sets email, robots and quiet hours; URLs come back masked, secrets never."""
    dist = token(kit.DISTRICT)
    async with running(app) as client:
        r = await client.get(PATH, headers=bearer(dist))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["unit_id"] == kit.DISTRICT.id and body["quiet_hours"] is None
        assert {k: c["enabled"] for k, c in by_kind(body).items()} == {
            "in_app": True, "email": False, "dingtalk": False, "wecom": False, "feishu": False}

        ding = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123456789abcdef"
        put = {"channels": [
            {"kind": "in_app", "enabled": True},
            {"kind": "email", "enabled": True, "target": "dcjy@example.edu.cn"},
            {"kind": "dingtalk", "enabled": True, "target": ding, "secret": "SECabc"},
            {"kind": "feishu", "enabled": False, "target": "https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c3d-4e5f-6789-abcd-ef0123456789"},
        ], "quiet_hours": {"start": "22:00", "end": "07:00"}}
        r = await client.put(PATH, json=put, headers=bearer(dist))
        assert r.status_code == 200, r.text
        got = by_kind(r.json())
        assert got["email"] == {**got["email"], "enabled": True, "target": "dcjy@example.edu.cn"}
        assert got["dingtalk"]["enabled"] and got["dingtalk"]["has_secret"]
        assert "0123456789abcdef" not in got["dingtalk"]["target"] and got["dingtalk"]["target"].startswith("https://oapi.dingtalk.com/robot/send?access_token=")
        assert "0a1b2c3d-4e5f" not in got["feishu"]["target"] and got["feishu"]["enabled"] is False
        assert "secret" not in r.text.replace("has_secret", "") and "SECabc" not in r.text
        assert r.json()["quiet_hours"] == {"start": "22:00", "end": "07:00"}

        # The console sends back what it was shown: the masked URL and no secret keep what is stored.
        again = {"unit_id": kit.DISTRICT.id, "channels": [
            {"kind": "dingtalk", "enabled": True, "target": got["dingtalk"]["target"]}], "quiet_hours": None}
        r = await client.put(PATH, json=again, headers=bearer(dist))
        assert r.status_code == 200 and r.json()["quiet_hours"] is None
        async with app.state.ctx.db.sessionmaker() as s:
            stored = await s.get(ChannelConfig, (kit.DISTRICT.id, "dingtalk"))
        assert stored is not None and stored.target == ding and stored.secret == "SECabc"


async def test_only_the_own_unit_but_the_city_may_set_any(app, token, kit) -> None:
    """A district cannot read or set another unit's channels (403); the city can."""
    async with running(app) as client:
        r = await client.get(PATH, params={"unit_id": kit.DEPT.id}, headers=bearer(token(kit.DISTRICT)))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        body = {"unit_id": kit.DEPT.id, "channels": [{"kind": "email", "enabled": True, "target": "jjc@example.edu.cn"}]}
        assert (await client.put(PATH, json=body, headers=bearer(token(kit.DISTRICT)))).status_code == 403
        r = await client.put(PATH, json=body, headers=bearer(token(kit.CITY)))
        assert r.status_code == 200 and r.json()["unit_id"] == kit.DEPT.id
        r = await client.get(PATH, headers=bearer(token(kit.DEPT)))
        assert by_kind(r.json())["email"]["target"] == "jjc@example.edu.cn"
        assert (await client.get(PATH)).status_code == 401


@pytest.mark.parametrize(("kind", "target", "reason"), [
    ("email", "not-an-address", "邮箱地址无效"),
    ("email", "a@b@c.cn", "邮箱地址无效"),
    ("dingtalk", "ftp://oapi.dingtalk.com/robot/send", "https"),
    ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", "须使用 https"),
    ("feishu", "https://user:pw@open.feishu.cn/hook", "用户名或密码"),
    ("dingtalk", "https://10.1.2.3/robot/send", "内网"),
    ("dingtalk", "https://192.168.1.20/robot/send", "内网"),
    ("wecom", "https://169.254.169.254/latest/meta-data", "链路本地"),
    ("feishu", "https://127.0.0.1:9000/hook", "回环"),
    ("feishu", "https://[::1]/hook", "回环"),
    ("dingtalk", "https://localhost/robot/send", "本机"),
    ("wecom", "https://[fd00::1]/hook", "内网"),
    ("dingtalk", "", "须填写 Webhook"),
])
async def test_bad_addresses_and_ssrf_targets_are_refused_with_the_reason(app, token, kit, kind, target, reason) -> None:
    """422 with a Chinese reason naming the channel's field; nothing is stored (production mode: no loopback)."""
    async with running(app) as client:
        body = {"channels": [{"kind": "in_app", "enabled": True}, {"kind": kind, "enabled": True, "target": target}]}
        r = await client.put(PATH, json=body, headers=bearer(token(kit.DISTRICT)))
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert reason in err["message"], err
        assert err["details"][0]["field"] == "channels.1.target"
        async with app.state.ctx.db.sessionmaker() as s:
            assert await s.get(ChannelConfig, (kit.DISTRICT.id, kind)) is None


async def test_other_bad_input_is_a_clear_422(app, token, kit) -> None:
    """Unknown channel kinds, bad quiet hours and switching off in-app are refused."""
    tok = token(kit.DISTRICT)
    async with running(app) as client:
        for body in ({"channels": [{"kind": "sms", "enabled": True}]},
                     {"quiet_hours": {"start": "25:00", "end": "07:00"}},
                     {"quiet_hours": {"start": "22:00", "end": "22:00"}},
                     {"channels": [{"kind": "in_app", "enabled": False}]}):
            r = await client.put(PATH, json=body, headers=bearer(tok))
            assert r.status_code == 422, (body, r.text)
            assert r.json()["error"]["code"] in ("validation_error", "invalid_channel")
        r = await client.put(PATH, content=b"{", headers={**bearer(tok), "content-type": "application/json"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_json"


async def test_loopback_robots_only_when_the_setting_allows_them(make_settings, token, kit) -> None:
    """Tests (and only they) may allow loopback webhooks explicitly; private ranges stay refused."""
    app = create_app(make_settings(NotifySettings, allow_loopback_webhooks=True))
    async with running(app) as client:
        tok = token(kit.DISTRICT)
        ok = {"channels": [{"kind": "wecom", "enabled": True, "target": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k"}]}
        assert (await client.put(PATH, json=ok, headers=bearer(tok))).status_code == 200
        bad = {"channels": [{"kind": "wecom", "enabled": True, "target": "http://10.0.0.5/cgi-bin/webhook/send?key=k"}]}
        assert (await client.put(PATH, json=bad, headers=bearer(tok))).status_code == 422
