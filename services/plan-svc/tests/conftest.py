"""plan-svc test fixtures: the app on real databases and broker, and tokens for its callers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.events import Envelope
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging import KafkaBus
from duban_shared.testing.services import running
from duban_shared.testing.signing import signed_headers
from plan_svc.config import PlanSettings
from plan_svc.main import create_app


@pytest.fixture
def plan_settings(make_settings: Callable[..., Any]) -> PlanSettings:
    """plan-svc settings wired to this test's broker and database."""
    return make_settings(PlanSettings)


@pytest.fixture
async def plan_client(plan_settings: PlanSettings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a running plan-svc."""
    async with running(create_app(plan_settings)) as client:
        yield client


@pytest.fixture
def auth(plan_settings: PlanSettings) -> Callable[..., dict[str, str]]:
    """Headers with a token for a caller: auth() is the city plan administrator, auth('school') a school."""
    issuer = issuer_from_settings(plan_settings)

    def _headers(kind: str = "city") -> dict[str, str]:
        roles = ("city", "plan_admin") if kind == "city" else (kind,)
        p = Principal(username=f"u-{kind}", unit_id=f"unit-{kind}", unit_kind=kind, roles=roles)
        return {"Authorization": f"Bearer {issuer.issue(p)}"}

    return _headers



@pytest.fixture
def announce(plan_settings: PlanSettings) -> Callable[[list[UnitUpserted]], Awaitable[None]]:
    """Send unit.upserted events as task-svc does (signed, on the directory topic)."""

    async def _send(events: list[UnitUpserted]) -> None:
        bus = KafkaBus(plan_settings.kafka_bootstrap_servers, client_id="test-task-svc", topic_prefix=plan_settings.topic_prefix)
        await bus.ensure_topics()
        try:
            producer = await bus.require()
            for ev in events:
                env = Envelope(type=ev.TYPE, version=ev.VERSION, source="task-svc", key=ev.partition_key(),
                               payload=ev.model_dump(mode="json"))
                topic = bus.topic(ev.TOPIC)
                headers = signed_headers(plan_settings.keys_dir, plan_settings.topic_prefix, topic, env)
                await producer.send_and_wait(topic, env.to_bytes(), key=env.key.encode(), headers=headers)
        finally:
            await bus.stop()

    return _send
