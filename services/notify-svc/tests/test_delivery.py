"""Email and the three robot formats reach real local receivers; retries, timeouts and breakers on the test clock."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import col, select

from duban_shared.events.catalogue import TaskReminded, UnitUpserted
from duban_shared.testing.services import bearer, eventually, running
from notify_svc.delivery.models import Delivery
from notify_svc.main import create_app

CHANNELS = "/api/notifications/channels"


@pytest.fixture
def app(delivery_settings):  # type: ignore[no-untyped-def]
    """notify-svc with SMTP and loopback robots configured."""
    return create_app(delivery_settings)


def district_with_contacts(kit) -> UnitUpserted:  # type: ignore[no-untyped-def]
    """The district as the directory announces it with its email and leader."""
    return UnitUpserted(**{**kit.DISTRICT.model_dump(), "email": "dcjy@example.edu.cn", "leader_name": "王局长",
                           "leader_email": "wang@example.edu.cn"})


async def configure(client: httpx.AsyncClient, tok: str, robots, channels=("email", "dingtalk", "wecom", "feishu")) -> None:  # type: ignore[no-untyped-def]
    """Switch the unit's channels on (email: the directory's address)."""
    body = []
    for kind in channels:
        c = {"kind": kind, "enabled": True}
        if kind != "email":
            c["target"] = robots.webhook(kind)
        if kind == "dingtalk":
            c["secret"] = robots.ding_secret
        if kind == "feishu":
            c["secret"] = robots.feishu_secret
        body.append(c)
    r = await client.put(CHANNELS, json={"channels": body}, headers=bearer(tok))
    assert r.status_code == 200, r.text


async def deliveries(app, **where) -> list[Delivery]:  # type: ignore[no-untyped-def]
    """Stored deliveries matching the filters."""
    async with app.state.ctx.db.sessionmaker() as s:
        q = select(Delivery)
        for k, v in where.items():
            q = q.where(getattr(Delivery, k) == v)
        return list((await s.exec(q.order_by(col(Delivery.created_at)))).all())


async def test_email_and_three_robots_deliver_with_valid_signatures(app, writer, token, kit, smtp, robots) -> None:
    """One reminder: a Chinese email with the task link and a stable Message-ID; DingTalk, WeCom and Feishu accept theirs."""
    dist = token(kit.DISTRICT)
    async with running(app) as client:
        await kit.load_directory(app, writer)
        await kit.publish_unit(app, writer, district_with_contacts(kit))
        await configure(client, dist, robots)
        await writer.send(kit.task_event(TaskReminded, "t-1", message="请于本周五前报送进展", title="新建幼儿园30所"))

        async def all_sent() -> list[Delivery] | None:
            ds = await deliveries(app)
            return ds if len(ds) == 4 and all(d.status == "sent" for d in ds) else None

        sent = {d.channel: d for d in await eventually(all_sent, what="four deliveries sent")}
        notice = (await kit.notifications(client, dist))["items"][0]
        r = await client.get(f"/api/notifications/{notice['id']}/deliveries", headers=bearer(dist))
        assert r.status_code == 200 and {d["channel"]: d["status"] for d in r.json()} == dict.fromkeys(sent, "sent")
        assert (await client.get(f"/api/notifications/{notice['id']}/deliveries", headers=bearer(token(kit.DEPT)))).status_code == 404
        metrics = (await client.get("/metrics")).text

    assert len(smtp.messages) == 1
    rcpt, msg = smtp.messages[0]
    assert rcpt == ["dcjy@example.edu.cn"]
    assert msg["Subject"] == "【督办】催办：新建幼儿园30所"
    assert msg["Message-ID"] == f"<{sent['email'].id}@localhost>"
    text = msg.get_content()
    assert "基础教育处催办任务“新建幼儿园30所”" in text and "请于本周五前报送进展" in text
    assert "https://duban.example.edu.cn/tasks/t-1" in text

    for channel in ("dingtalk", "wecom", "feishu"):
        got = robots.accepted(channel)
        assert len(got) == 1, (channel, robots.received)
        assert got[0]["key"] == sent[channel].id  # the idempotency key, derived from the notice
    assert "https://duban.example.edu.cn/tasks/t-1" in robots.accepted("dingtalk")[0]["body"]["markdown"]["text"]
    assert "催办：新建幼儿园30所" in robots.accepted("wecom")[0]["body"]["markdown"]["content"]
    post = robots.accepted("feishu")[0]["body"]["content"]["post"]["zh_cn"]
    assert post["title"] == "催办：新建幼儿园30所" and post["content"][1][0]["href"] == "https://duban.example.edu.cn/tasks/t-1"
    assert not [r for r in robots.received if not r["ok"]]
    for channel in ("email", "dingtalk", "wecom", "feishu"):
        assert f'duban_notify_deliveries_sent_total{{channel="{channel}",kind="task_reminded"}} 1.0' in metrics
    assert 'duban_notify_deliveries_pending{channel="email"} 0.0' in metrics
    assert "duban_notify_delivery_seconds_count" in metrics


async def test_a_wrong_secret_is_refused_by_the_robot_and_not_retried_forever(app, writer, token, kit, robots, frozen) -> None:
    """The receiver checks signatures as the real one does: a wrong secret fails, with the robot's answer as reason."""
    dist = token(kit.DISTRICT)
    async with running(app) as client:
        robots.ding_secret, real = "SECwrong", robots.ding_secret
        await configure(client, dist, robots, channels=("dingtalk",))
        robots.ding_secret = real
        await writer.send(kit.task_event(TaskReminded, "t-1"))

        async def attempted() -> Delivery | None:
            ds = await deliveries(app, channel="dingtalk")
            return ds[0] if ds and ds[0].attempts == 1 else None

        d = await eventually(attempted, what="a first DingTalk attempt")
    assert d.status == "pending" and "310000" in (d.last_error or "") and robots.received[0]["why"] == "sign"


async def test_failures_back_off_then_stay_failed_while_other_channels_go_out(app, writer, token, kit, smtp, robots, frozen) -> None:
    """WeCom answers 500: retried after 60 s, then 120 s, then failed with the reason; the same key each time."""
    dist, dept = token(kit.DISTRICT), token(kit.DEPT)
    robots.fail["wecom"] = 99
    smtp.fail = 1
    async with running(app) as client:
        await kit.load_directory(app, writer)
        await kit.publish_unit(app, writer, district_with_contacts(kit))
        await configure(client, dist, robots, channels=("email", "wecom", "dingtalk"))
        await configure(client, dept, robots, channels=("feishu",))
        await writer.send(kit.task_event(TaskReminded, "t-1", title="校园安全检查"))

        async def state(channel: str, attempts: int, status: str = "pending") -> Delivery | None:
            ds = await deliveries(app, channel=channel, unit_id=kit.DISTRICT.id)
            return ds[0] if ds and ds[0].attempts == attempts and ds[0].status == status else None

        first = await eventually(lambda: state("wecom", 1), what="a first failed WeCom attempt")
        assert first.last_error == "HTTP 500" and first.next_attempt_at == frozen.now() + timedelta(seconds=60)
        await eventually(lambda: state("dingtalk", 1, "sent"), what="DingTalk sent despite WeCom failing")
        await eventually(lambda: state("email", 1), what="the refused email")

        async def sentinel(n: int) -> None:
            # Another unit's notice, sent through a healthy channel: once it went out, the worker has run past the due check.
            await writer.send(kit.task_event(TaskReminded, f"t-sentinel-{n}", unit_id=kit.DEPT.id, issuer_unit_id=kit.CITY.id))

            async def out() -> bool:
                return len(robots.accepted("feishu")) == n

            await eventually(out, what=f"sentinel {n}")

        frozen.advance(timedelta(seconds=59))
        await sentinel(1)
        assert (await state("wecom", 1)) is not None  # not due yet: no second attempt

        frozen.advance(timedelta(seconds=1))
        second = await eventually(lambda: state("wecom", 2), what="the second WeCom attempt")
        assert second.next_attempt_at == frozen.now() + timedelta(seconds=120)
        await eventually(lambda: state("email", 2, "sent"), what="the email on its second attempt")
        frozen.advance(timedelta(seconds=120))
        failed = await eventually(lambda: state("wecom", 3, "failed"), what="WeCom given up after 3 attempts")
        assert failed.last_error == "HTTP 500"
        frozen.advance(timedelta(hours=1))
        await sentinel(2)
        assert (await state("wecom", 3, "failed")) is not None  # failed stays failed
        metrics = (await client.get("/metrics")).text

    keys = {r["key"] for r in robots.received if r["channel"] == "wecom"}
    assert keys == {failed.id} and len([r for r in robots.received if r["channel"] == "wecom"]) == 3
    # The refused email and its resend carry the same Message-ID.
    assert smtp.refused == [str(smtp.messages[0][1]["Message-ID"])]
    assert 'duban_notify_deliveries_failed_total{channel="wecom",kind="task_reminded"} 1.0' in metrics
    assert 'duban_notify_delivery_retries_total{channel="wecom",kind="task_reminded"} 2.0' in metrics


async def test_a_hanging_robot_times_out_trips_its_breaker_and_slows_nothing_else(app, writer, token, kit, smtp, robots, frozen) -> None:
    """Feishu never answers: each send times out; after three the breaker holds the rest; other channels and notices flow."""
    dist = token(kit.DISTRICT)
    robots.hang.add("feishu")
    async with running(app) as client:
        await kit.load_directory(app, writer)
        await kit.publish_unit(app, writer, district_with_contacts(kit))
        await configure(client, dist, robots, channels=("email", "dingtalk", "feishu"))
        for i in range(3):
            await writer.send(kit.task_event(TaskReminded, f"t-{i}"))
        await kit.wait_for_count(client, dist, 3)

        async def timed_out() -> list[Delivery] | None:
            ds = await deliveries(app, channel="feishu")
            return ds if len(ds) == 3 and all(d.attempts == 1 for d in ds) else None

        for d in await eventually(timed_out, what="three Feishu timeouts"):
            assert d.status == "pending" and d.last_error == "发送超时（3 秒）"
        await eventually(lambda: _count(smtp, 3), what="three emails while Feishu hangs")
        await eventually(lambda: _robot_count(robots, "dingtalk", 3), what="three DingTalk messages while Feishu hangs")

        await writer.send(kit.task_event(TaskReminded, "t-3"))

        async def held() -> Delivery | None:
            ds = [d for d in await deliveries(app, channel="feishu") if d.attempts == 0 and d.last_error]
            return ds[0] if ds else None

        d = await eventually(held, what="the fourth Feishu delivery held by the open breaker")
        assert d.last_error == "熔断中，稍后重试" and d.next_attempt_at == frozen.now() + timedelta(seconds=300)
        await eventually(lambda: _count(smtp, 4), what="the fourth email")
        metrics = (await client.get("/metrics")).text
    assert 'duban_notify_delivery_breakers_open{channel="feishu"} 1.0' in metrics
    assert not robots.accepted("feishu")  # none ever answered


async def _count(smtp, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(smtp.messages) == n


async def _robot_count(robots, channel: str, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(robots.accepted(channel)) == n
