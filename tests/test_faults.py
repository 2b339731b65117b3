"""Faults across real processes: SIGKILL a service while it publishes and while it consumes.

Each service runs under uvicorn in its own process on the real embedded broker and a real
database; the test kills it with SIGKILL (no shutdown hook runs), restarts it and checks
that every event took effect exactly once.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.db import sync_url
from duban_shared.events import utcnow
from duban_shared.events.catalogue import DIRECTORY_TOPIC, TaskCreated, UnitUpserted
from duban_shared.testing.probe import probing
from duban_shared.testing.processes import ServiceProcess
from duban_shared.testing.publisher import publishing
from duban_shared.testing.services import bearer, eventually
from notify_svc.config import NotifySettings

pytestmark = pytest.mark.slow


def service_env(var: Path, url: str, bootstrap: str, prefix: str, **extra: str) -> dict[str, str]:
    """Environment of a service process wired to this test's broker, database and var dir."""
    return {
        "DUBAN_VAR_DIR": str(var), "DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DUBAN_TOPIC_PREFIX": prefix,
        "DUBAN_LOG_JSON": "false", "DUBAN_RELAY_INTERVAL": "0.05", "DUBAN_EPOCH_CHECK": "0.5", "DUBAN_RETRY_BACKOFF": "0.05",
        "DUBAN_DEMO": "true", "DUBAN_TOKEN_CHECK_URL": "", **extra,
    }


def outbox_state(url: str) -> tuple[int, int]:
    """(published, unpublished) rows of a service's outbox."""
    eng = sa.create_engine(sync_url(url))
    try:
        with eng.connect() as c:
            rows = c.execute(sa.text("SELECT published_at IS NULL, count(*) FROM outbox GROUP BY 1")).all()
    finally:
        eng.dispose()
    counts = {bool(r[0]): int(r[1]) for r in rows}
    return counts.get(False, 0), counts.get(True, 0)


def outbox_ids(url: str, event_type: str) -> list[str]:
    """Event ids of one type in a service's outbox."""
    eng = sa.create_engine(sync_url(url))
    try:
        with eng.connect() as c:
            return [r[0] for r in c.execute(sa.text("SELECT event_id FROM outbox WHERE type = :t"), {"t": event_type}).all()]
    finally:
        eng.dispose()


async def test_sigkill_while_publishing_loses_and_doubles_nothing(db_factory, broker, topic_prefix, tmp_path) -> None:
    """task-svc is killed while its relay publishes the demo directory; after a restart every unit event took effect once."""
    url = db_factory.new_url("task")
    env = service_env(tmp_path / "var", url, broker.bootstrap, topic_prefix, DUBAN_DEMO_DIRECTORY="true", DUBAN_RELAY_BATCH="10")
    svc = ServiceProcess("task_svc.main:create_app", env, tmp_path / "task.log")
    async with probing(url=db_factory.new_url("probe"), bootstrap=broker.bootstrap, prefix=topic_prefix,
                       topics=[DIRECTORY_TOPIC], types=[UnitUpserted.TYPE]) as probe:
        svc.start(wait=False)
        try:
            async def mid_stream() -> bool:
                try:
                    published, unpublished = await asyncio.to_thread(outbox_state, url)
                except sa.exc.DBAPIError:
                    return False  # migrations not done yet
                return published >= 50 and unpublished > 0

            await eventually(mid_stream, timeout=90, interval=0.02, what="relay half-way through the directory")
            svc.kill()
            _, unpublished = await asyncio.to_thread(outbox_state, url)
            assert unpublished > 0, "the kill came too late to prove anything"
            svc.start()
            ids = await asyncio.to_thread(outbox_ids, url, UnitUpserted.TYPE)
            assert len(ids) >= 1500

            async def all_once() -> bool:
                counts = await probe.counts()
                assert set(counts.values()) <= {1}, "an event took effect twice"
                return set(ids) <= set(counts)

            await eventually(all_once, timeout=120, what=f"{len(ids)} unit events applied once each")
            assert len(await probe.counts()) == len(ids)
        finally:
            svc.stop()


async def test_sigkill_while_consuming_applies_each_event_once(db_factory, broker, topic_prefix, tmp_path) -> None:
    """notify-svc is killed while it consumes task events; after a restart there is exactly one notification per task."""
    var = tmp_path / "var"
    settings = NotifySettings(var_dir=var)
    unit_id = str(uuid.uuid4())
    n = 400
    env = service_env(var, db_factory.new_url("notify"), broker.bootstrap, topic_prefix)
    svc = ServiceProcess("notify_svc.main:create_app", env, tmp_path / "notify.log").start()
    token = issuer_from_settings(settings).issue(Principal(username="s1", unit_id=unit_id, unit_kind="school", roles=("school",)))

    def task(i: int) -> TaskCreated:
        return TaskCreated(task_id=str(uuid.uuid4()), plan_id="p1", item_id=f"i{i}", level="school", unit_id=unit_id,
                           status="assigned", at=utcnow(), title=f"任务{i}", due_date=date(2026, 12, 31))

    async def total() -> int:
        async with httpx.AsyncClient(base_url=svc.url, timeout=10) as c:
            r = await c.get("/api/notifications", params={"limit": 1}, headers=bearer(token))
            assert r.status_code == 200, r.text
            return int(r.json()["total"])

    try:
        async with publishing(db_factory.new_url("pub"), broker.bootstrap, topic_prefix, name="task-svc", keys_dir=var / "keys") as pub:
            await pub.publish_many(n, task)

            async def mid_stream() -> bool:
                got = await total()
                assert got < n, "consumed everything before the kill"
                return got >= 20

            await eventually(mid_stream, timeout=90, interval=0.02, what="notify-svc half-way through the tasks")
            svc.kill()
            svc.start()

            async def all_there() -> bool:
                got = await total()
                assert got <= n, f"{got} notifications for {n} tasks"
                return got == n

            await eventually(all_there, timeout=120, what=f"{n} notifications")
            await asyncio.sleep(2)  # a late duplicate would show up now
            assert await total() == n
    finally:
        svc.stop()
