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
    return cls(task_id=task_id, plan_id="p-2026", item_id="i-1", level="district", unit_id=unit_id,
               issuer_unit_id=issuer_unit_id, status=status, actor="tester", at=utcnow(), **fields)  # type: ignore[arg-type]


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
        CITY=CITY, DEPT=DEPT, DISTRICT=DISTRICT, task_event=task_event, load_directory=load_directory,
        notifications=notifications, wait_for_count=wait_for_count, stored=stored, serve=serve, SseReader=SseReader, due=due,
    )
