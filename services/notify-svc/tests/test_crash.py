"""A notify-svc process killed in the middle of a send: the send is repeated once, with the same idempotency key."""

from __future__ import annotations

from pathlib import Path

import httpx

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.events.catalogue import TaskReminded
from duban_shared.testing.processes import ServiceProcess
from duban_shared.testing.services import bearer, eventually
from notify_svc.config import NotifySettings


async def test_a_send_cut_by_a_crash_is_repeated_once_with_the_same_key(db_factory, broker, topic_prefix, tmp_path: Path,
                                                                         writer, robots, kit) -> None:
    """SIGKILL while WeCom hangs; after restart and the lease, WeCom gets it again with the same key, and no more."""
    url = db_factory.new_url("notify-crash")
    var = tmp_path / "var"
    env = {"DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "DUBAN_TOPIC_PREFIX": topic_prefix,
           "DUBAN_VAR_DIR": str(var), "DUBAN_LOG_JSON": "false", "DUBAN_DEMO": "true", "DUBAN_TOKEN_CHECK_URL": "", "DUBAN_RELAY_INTERVAL": "0.1",
           "DUBAN_NOTIFY_ALLOW_LOOPBACK": "true", "DUBAN_NOTIFY_LEASE": "3", "DUBAN_NOTIFY_SEND_TIMEOUT": "120",
           "DUBAN_NOTIFY_WORKER_POLL": "0.2"}
    tok = issuer_from_settings(NotifySettings(var_dir=var, database_url=url, demo_mode=True)).issue(
        Principal(username="dc", unit_id=kit.DISTRICT.id, unit_kind="district", roles=("staff",)))
    svc = ServiceProcess("notify_svc.main:create_app", env, tmp_path / "notify.log")
    robots.hang.add("wecom")
    try:
        svc.start()
        async with httpx.AsyncClient(base_url=svc.url, timeout=30) as client:
            body = {"channels": [{"kind": "wecom", "enabled": True, "target": robots.webhook("wecom")}]}
            assert (await client.put("/api/notifications/channels", json=body, headers=bearer(tok))).status_code == 200
            await writer.send(kit.task_event(TaskReminded, "t-1"))

            async def hanging() -> bool:
                return any(r["why"] == "hang" for r in robots.received)

            await eventually(hanging, timeout=60, what="the WeCom send in flight")
        svc.kill()  # mid-send: no shutdown hooks, the lease stays on the row
        robots.hang.clear()
        svc.start()
        async with httpx.AsyncClient(base_url=svc.url, timeout=30) as client:
            notice = (await client.get("/api/notifications", headers=bearer(tok))).json()["items"][0]

            async def sent() -> list | None:
                ds = (await client.get(f"/api/notifications/{notice['id']}/deliveries", headers=bearer(tok))).json()
                return ds if ds and ds[0]["status"] == "sent" else None

            ds = await eventually(sent, timeout=60, what="the delivery sent after the restart")
            # A second notice through the same channel: once it is out, the worker has had every chance to repeat.
            await writer.send(kit.task_event(TaskReminded, "t-2"))

            async def two() -> bool:
                return len(robots.accepted("wecom")) == 2

            await eventually(two, timeout=60, what="the second notice's WeCom message")
    finally:
        svc.stop()
    first_key = robots.received[0]["key"]
    assert ds[0]["attempts"] == 1
    assert [r["why"] for r in robots.received if r["key"] == first_key] == ["hang", None]  # cut once, sent once, no more
    assert len({r["key"] for r in robots.accepted("wecom")}) == 2
