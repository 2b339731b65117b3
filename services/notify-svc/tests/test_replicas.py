"""Two real notify-svc processes on one PostgreSQL database: a notice made on either reaches streams on both."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx
import pytest

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.events.catalogue import TaskReminded
from duban_shared.testing.databases import DatabaseFactory, postgres_available
from duban_shared.testing.processes import ServiceProcess
from duban_shared.testing.services import bearer, eventually
from notify_svc.config import NotifySettings

N = 6

pytestmark = pytest.mark.skipif(not postgres_available(), reason="two replicas share a PostgreSQL database (SQLite is single-replica)")


def metric(text: str, name: str) -> float:
    """The sum of a metric's samples in Prometheus text."""
    return sum(float(m) for m in re.findall(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.MULTILINE))


async def collect(client: httpx.AsyncClient, tok: str, seen: dict[str, float], ready: asyncio.Event, kit) -> None:  # type: ignore[no-untyped-def]
    """Read a stream, recording when each notice id first arrived."""
    async with client.stream("GET", "/api/notifications/stream", headers=bearer(tok)) as r:
        s = kit.SseReader(r.aiter_lines())
        assert (await s.next_event())["event"] == "ready"
        ready.set()
        while len(seen) < N:
            n = await s.next_notification(timeout=60)
            seen.setdefault(n["id"], time.monotonic())


async def test_a_notice_made_on_one_replica_reaches_a_stream_on_the_other(broker, topic_prefix, tmp_path: Path, writer, kit) -> None:
    """Six reminders spread over the partitions both replicas consume; both streams get all six, live."""
    pg = DatabaseFactory("postgres", tmp_path)
    url = pg.new_url("notify-replicas")
    var = tmp_path / "var"
    env = {"DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "DUBAN_TOPIC_PREFIX": topic_prefix,
           "DUBAN_VAR_DIR": str(var), "DUBAN_LOG_JSON": "false", "DUBAN_DEMO": "true", "DUBAN_TOKEN_CHECK_URL": "", "DUBAN_RELAY_INTERVAL": "0.1", "DUBAN_SSE_PING": "1"}
    settings = NotifySettings(var_dir=var, database_url=url, demo_mode=True)
    tok = issuer_from_settings(settings).issue(Principal(username="dc", unit_id=kit.DISTRICT.id, unit_kind="district", roles=("staff",)))
    a = ServiceProcess("notify_svc.main:create_app", env, tmp_path / "a.log")
    b = ServiceProcess("notify_svc.main:create_app", env, tmp_path / "b.log")
    try:
        a.start()
        b.start()  # after A: A has migrated the shared database
        async with httpx.AsyncClient(base_url=a.url, timeout=30) as ca, httpx.AsyncClient(base_url=b.url, timeout=30) as cb:
            async def feeds_ready() -> bool:
                texts = [(await c.get("/metrics")).text for c in (ca, cb)]
                return all(metric(t, "duban_notify_live_feed_ready") == 1 for t in texts)

            await eventually(feeds_ready, timeout=60, what="both replicas reading the live feed")
            seen_a: dict[str, float] = {}
            seen_b: dict[str, float] = {}
            ready_a, ready_b = asyncio.Event(), asyncio.Event()
            readers = [asyncio.create_task(collect(ca, tok, seen_a, ready_a, kit)),
                       asyncio.create_task(collect(cb, tok, seen_b, ready_b, kit))]
            await asyncio.wait_for(asyncio.gather(ready_a.wait(), ready_b.wait()), 30)
            for i in range(N):
                await writer.send(kit.task_event(TaskReminded, f"t-replica-{i}", message=f"第{i}条"))
            await asyncio.wait_for(asyncio.gather(*readers), 90)

            ma, mb = (await ca.get("/metrics")).text, (await cb.get("/metrics")).text
            listed = (await ca.get("/api/notifications", headers=bearer(tok))).json()
    finally:
        a.stop()
        b.stop()
        pg.cleanup()

    assert set(seen_a) == set(seen_b) and len(seen_a) == N == listed["total"]
    made = {"a": metric(ma, "duban_notify_notifications_total"), "b": metric(mb, "duban_notify_notifications_total")}
    fed = {"a": metric(ma, "duban_notify_live_feed_received_total"), "b": metric(mb, "duban_notify_live_feed_received_total")}
    assert made["a"] + made["b"] == N, made
    # Whatever the partition split, each stream got the notices its replica did not make through the feed.
    assert fed["a"] >= N - made["a"] and fed["b"] >= N - made["b"] and fed["a"] + fed["b"] >= N, (made, fed)
    skew = max(abs(seen_a[i] - seen_b[i]) for i in seen_a)
    print(f"two replicas: made {made}, fed {fed}; largest arrival gap between the two streams {skew:.3f} s")
