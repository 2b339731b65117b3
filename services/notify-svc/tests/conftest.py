"""notify-svc test fixtures: the service on the real broker and databases, an event writer, tokens."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.events import Envelope, IntegrationEvent, lookup, utcnow
from duban_shared.events.catalogue import TaskEvent, UnitUpserted
from duban_shared.messaging import KafkaBus
from duban_shared.testing.broker import EmbeddedBroker
from duban_shared.testing.services import bearer, eventually
from duban_shared.testing.services import serving as serve
from duban_shared.testing.signing import owner_envelope, signed_headers
from notify_svc.config import NotifySettings
from notify_svc.main import create_app
from notify_svc.notifications.models import Notification
from notify_svc.units.models import Unit

CITY = UnitUpserted(id="u-city", code="330200000", name="明州市教育局", kind="city")
DEPT = UnitUpserted(id="u-jjc", code="330200001", name="基础教育处", kind="department", parent_id="u-city")
DISTRICT = UnitUpserted(id="u-dc", code="330201000", name="东城区教育局", kind="district", parent_id="u-city")
DIRECTORY = [CITY, DEPT, DISTRICT]


def task_event(cls: type[TaskEvent], task_id: str, *, unit_id: str = DISTRICT.id, issuer_unit_id: str | None = DEPT.id,
               status: str = "assigned", **fields: Any) -> TaskEvent:
    """A task event of the given class with plausible common fields."""
    base: dict[str, Any] = dict(plan_id="p-2026", item_id="i-1", level="district", actor="tester", at=utcnow())
    return cls(task_id=task_id, unit_id=unit_id, issuer_unit_id=issuer_unit_id, status=status, **{**base, **fields})  # type: ignore[arg-type]


@dataclass
class EventWriter:
    """Writes envelopes straight onto the test's topics, as another service's relay would."""

    bus: KafkaBus
    keys_dir: Path
    sent: list[Envelope] = field(default_factory=list)

    async def send(self, event: IntegrationEvent) -> Envelope:
        """Publish one catalogue event in a fresh envelope."""
        env = owner_envelope(event)
        await self.resend(env)
        return env

    async def resend(self, env: Envelope) -> None:
        """Publish an envelope (again): a redelivery carries the same event id."""
        producer = await self.bus.require()
        spec = lookup(env.type, env.version)
        assert spec is not None, env.type
        topic = self.bus.topic(spec.topic)
        headers = signed_headers(self.keys_dir, self.bus.prefix, topic, env)
        await producer.send_and_wait(topic, env.to_bytes(), key=env.key.encode(), headers=headers)
        self.sent.append(env)


@pytest.fixture
async def writer(broker: EmbeddedBroker, topic_prefix: str, tmp_path: Path) -> AsyncIterator[EventWriter]:
    """An event writer on this test's topic prefix."""
    bus = KafkaBus(broker.bootstrap, client_id="test-writer", topic_prefix=topic_prefix)
    await bus.ensure_topics()
    try:
        yield EventWriter(bus, tmp_path / "var" / "keys")  # the var dir make_settings gives the service
    finally:
        await bus.stop()


@pytest.fixture
def settings(make_settings: Callable[..., Any]) -> NotifySettings:
    """notify-svc settings on this test's broker, database and var dir; quick heartbeats."""
    return make_settings(NotifySettings, sse_ping_seconds=0.3)


@pytest.fixture
def app(settings: NotifySettings) -> FastAPI:
    """A notify-svc app (not started)."""
    return create_app(settings)


@pytest.fixture
def token(settings: NotifySettings) -> Callable[..., str]:
    """Mint a token for a unit with the embedded signing key every service of the test shares."""
    issuer = issuer_from_settings(settings)

    def _mint(unit: UnitUpserted | None, roles: tuple[str, ...] = ("staff",), username: str | None = None) -> str:
        p = Principal(username=username or (unit.code if unit else "admin"), unit_id=unit.id if unit else None,
                      unit_kind=unit.kind if unit else None, roles=roles)
        return issuer.issue(p)

    return _mint


async def load_directory(app: FastAPI, writer: EventWriter) -> None:
    """Publish the test directory and wait until notify-svc's local copy holds it."""
    for unit in DIRECTORY:
        await writer.send(unit)

    async def loaded() -> bool:
        async with app.state.ctx.db.sessionmaker() as s:
            return len((await s.exec(select(Unit.id))).all()) == len(DIRECTORY)

    await eventually(loaded, what="the directory copied from unit.upserted events")


async def publish_unit(app: FastAPI, writer: EventWriter, unit: UnitUpserted) -> None:
    """Publish a unit and wait until the local copy shows it (the directory and task topics are not ordered)."""
    await writer.send(unit)

    async def copied() -> bool:
        async with app.state.ctx.db.sessionmaker() as s:
            u = await s.get(Unit, unit.id)
            return u is not None and (u.name, u.email, u.leader_email) == (unit.name, unit.email, unit.leader_email)

    await eventually(copied, what=f"the directory copy of {unit.id}")


async def notifications(client: httpx.AsyncClient, tok: str, **params: Any) -> dict[str, Any]:
    """GET /api/notifications as the token's unit."""
    r = await client.get("/api/notifications", params=params, headers=bearer(tok))
    assert r.status_code == 200, r.text
    return r.json()


async def wait_for_count(client: httpx.AsyncClient, tok: str, n: int) -> list[dict[str, Any]]:
    """Poll until the unit has exactly n notifications; fail fast on more."""

    async def check() -> list[dict[str, Any]] | None:
        items = (await notifications(client, tok, limit=200))["items"]
        assert len(items) <= n, f"more notifications than expected: {[i['kind'] for i in items]}"
        return items if len(items) == n else None

    return await eventually(check, what=f"{n} notifications")


async def stored(app: FastAPI, event_id: str) -> list[Notification]:
    """Every stored notification caused by one event."""
    async with app.state.ctx.db.sessionmaker() as s:
        return list((await s.exec(select(Notification).where(Notification.event_id == event_id))).all())


@dataclass
class SseReader:
    """Parses a text/event-stream response into events; comments (pings) are counted."""

    lines: AsyncIterator[str]
    comments: int = 0

    async def next_event(self, timeout: float = 30) -> dict[str, str]:
        """The next event's fields (event, id, data, retry)."""
        async with asyncio.timeout(timeout):
            fields: dict[str, str] = {}
            async for line in self.lines:
                if line == "":
                    if fields:
                        return fields
                    continue
                if line.startswith(":"):
                    self.comments += 1
                    continue
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        raise AssertionError("the stream ended")

    async def next_ping(self, timeout: float = 30) -> None:
        """Read on until a comment line (a heartbeat) arrives; fails if an event comes first."""
        async with asyncio.timeout(timeout):
            async for line in self.lines:
                if line.startswith(":"):
                    self.comments += 1
                    return
                assert line == "", f"expected a heartbeat, got {line!r}"
        raise AssertionError("the stream ended")

    async def next_notification(self, timeout: float = 30) -> dict[str, Any]:
        """The next `notification` event, its data parsed, its SSE id kept under `_sse_id`."""
        ev = await self.next_event(timeout)
        assert ev.get("event") == "notification", ev
        return {**json.loads(ev["data"]), "_sse_id": ev.get("id")}


def due(y: int, m: int, d: int) -> date:
    """A date (reads better in event literals)."""
    return date(y, m, d)


@pytest.fixture
def kit() -> SimpleNamespace:
    """Test data and helpers for the test modules (with --import-mode=importlib they cannot import conftest)."""
    return SimpleNamespace(
        CITY=CITY, DEPT=DEPT, DISTRICT=DISTRICT, task_event=task_event, load_directory=load_directory, publish_unit=publish_unit,
        notifications=notifications, wait_for_count=wait_for_count, stored=stored, serve=serve, SseReader=SseReader, due=due,
    )


# ---- outbound channels: a real SMTP server and a robot receiver that checks like the real services ----


@dataclass
class SmtpSink:
    """A real aiosmtpd server on a free port; keeps every message it accepted."""

    port: int
    messages: list[Any] = field(default_factory=list)
    # Answer "451 try again later" to this many more messages (their Message-IDs are kept in `refused`).
    fail: int = 0
    refused: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the parsed message and its envelope recipients."""
        import email
        from email import policy

        msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
        if self.fail > 0:
            self.fail -= 1
            self.refused.append(str(msg["Message-ID"]))
            return "451 4.3.0 try again later"
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


@pytest.fixture
def smtp() -> Any:
    """A running SMTP server (aiosmtpd) that accepts everything."""
    from aiosmtpd.controller import Controller

    from duban_shared.testing.broker import free_port

    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def _ding_expected(secret: str, ts: str) -> str:
    import base64
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()).decode()


def _feishu_expected(secret: str, ts: str) -> str:
    import base64
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), digestmod=hashlib.sha256).digest()).decode()


@dataclass
class RobotReceiver:
    """An HTTP server standing in for DingTalk, WeCom and Feishu: checks tokens, signatures and formats."""

    ding_token: str = "ding-access-token-0123456789"
    ding_secret: str = "SECding-secret"
    wecom_key: str = "wecom-key-0123456789abcdef"
    feishu_hook: str = "feishu-hook-0123456789abcdef"
    feishu_secret: str = "feishu-secret"
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    # Per channel: answer 500 this many more times / hang (never answer in time).
    fail: dict[str, int] = field(default_factory=dict)
    hang: set[str] = field(default_factory=set)

    def webhook(self, channel: str) -> str:
        """The webhook URL a unit would paste for this channel."""
        return {
            "dingtalk": f"{self.url}/robot/send?access_token={self.ding_token}",
            "wecom": f"{self.url}/cgi-bin/webhook/send?key={self.wecom_key}",
            "feishu": f"{self.url}/open-apis/bot/v2/hook/{self.feishu_hook}",
        }[channel]

    def accepted(self, channel: str) -> list[dict[str, Any]]:
        """What the receiver accepted on a channel."""
        return [r for r in self.received if r["channel"] == channel and r["ok"]]

    def app(self) -> Any:
        """The ASGI app."""
        import time

        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def gate(channel: str, request: Request) -> JSONResponse | None:
            if channel in self.hang:
                self.received.append({"channel": channel, "ok": False, "why": "hang", "key": request.headers.get("x-duban-idempotency-key")})
                await asyncio.sleep(3600)
            if self.fail.get(channel, 0) > 0:
                self.fail[channel] -= 1
                self.received.append({"channel": channel, "ok": False, "why": "500", "key": request.headers.get("x-duban-idempotency-key")})
                return JSONResponse({"error": "boom"}, status_code=500)
            return None

        def record(channel: str, request: Request, body: dict[str, Any], why: str | None) -> None:
            self.received.append({"channel": channel, "ok": why is None, "why": why, "body": body,
                                  "key": request.headers.get("x-duban-idempotency-key")})

        async def dingtalk(request: Request) -> JSONResponse:
            if (r := await gate("dingtalk", request)) is not None:
                return r
            body, q = await request.json(), request.query_params
            ts, sign = q.get("timestamp", ""), q.get("sign", "")
            why = None
            if q.get("access_token") != self.ding_token:
                why = "token"
            elif not ts.isdigit() or abs(int(ts) - time.time() * 1000) > 3600_000 or sign != _ding_expected(self.ding_secret, ts):
                why = "sign"
            elif body.get("msgtype") != "markdown" or not body.get("markdown", {}).get("title") or not body["markdown"].get("text"):
                why = "format"
            record("dingtalk", request, body, why)
            return JSONResponse({"errcode": 0, "errmsg": "ok"} if why is None else {"errcode": 310000, "errmsg": f"{why} not match"})

        async def wecom(request: Request) -> JSONResponse:
            if (r := await gate("wecom", request)) is not None:
                return r
            body = await request.json()
            content = body.get("markdown", {}).get("content", "")
            why = None
            if request.query_params.get("key") != self.wecom_key:
                why = "key"
            elif body.get("msgtype") != "markdown" or not content or len(content.encode()) > 4096:
                why = "format"
            record("wecom", request, body, why)
            return JSONResponse({"errcode": 0, "errmsg": "ok"} if why is None else {"errcode": 93000, "errmsg": why})

        async def feishu(request: Request) -> JSONResponse:
            if (r := await gate("feishu", request)) is not None:
                return r
            body = await request.json()
            ts, sign = str(body.get("timestamp", "")), body.get("sign", "")
            why = None
            if request.path_params["hook"] != self.feishu_hook:
                why = "hook"
            elif not ts.isdigit() or abs(int(ts) - time.time()) > 3600 or sign != _feishu_expected(self.feishu_secret, ts):
                why = "sign"
            elif body.get("msg_type") != "post" or not body.get("content", {}).get("post", {}).get("zh_cn", {}).get("content"):
                why = "format"
            record("feishu", request, body, why)
            return JSONResponse({"code": 0, "msg": "success"} if why is None else {"code": 19021, "msg": f"{why} fail"})

        return Starlette(routes=[
            Route("/robot/send", dingtalk, methods=["POST"]),
            Route("/cgi-bin/webhook/send", wecom, methods=["POST"]),
            Route("/open-apis/bot/v2/hook/{hook}", feishu, methods=["POST"]),
        ])


@pytest.fixture
async def robots() -> AsyncIterator[RobotReceiver]:
    """A running robot receiver on a free port."""
    rr = RobotReceiver()
    async with serve(rr.app(), lifespan="off") as url:
        rr.url = url
        yield rr


@pytest.fixture
def frozen() -> Any:
    """The shared clock, frozen at a fixed Monday 10:00 in Shanghai; unfrozen afterwards."""
    from datetime import datetime

    from duban_shared.clock import SHANGHAI, clock

    clock.freeze(datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))
    try:
        yield clock
    finally:
        clock.unfreeze()


@pytest.fixture
def delivery_settings(make_settings: Callable[..., Any], smtp: SmtpSink) -> NotifySettings:
    """notify-svc settings for delivery tests: the local SMTP server, loopback robots allowed, a quick worker."""
    return make_settings(
        NotifySettings, sse_ping_seconds=0.3, smtp_host="127.0.0.1", smtp_port=smtp.port, allow_loopback_webhooks=True,
        worker_poll_seconds=0.1, backoff_seconds=60, max_attempts=3, send_timeout_seconds=3.0, breaker_threshold=3,
        breaker_cooldown_seconds=300, console_url="https://duban.example.edu.cn",
    )
