"""The operator tools from the command line: `duban dlq list|show|requeue`, `duban events failed`, `duban retention`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from duban.cli import app
from duban.stack import DATA_SERVICES, database_url
from duban_shared.db import run_migrations, sync_url
from duban_shared.events import Envelope, utcnow
from duban_shared.messaging import KafkaBus
from duban_shared.messaging.dlq import publish_dead_letter, read_dead_letters

runner = CliRunner()


def test_dlq_list_show_and_requeue(broker, topic_prefix) -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "DUBAN_TOPIC_PREFIX": topic_prefix, "COLUMNS": "250"}
    good = Envelope(type="unit.upserted", source="task-svc", key="u1", payload={"id": "u1"})
    other = Envelope(type="task.created", source="task-svc", key="t1", payload={})

    async def seed() -> None:
        bus = KafkaBus(broker.bootstrap, client_id="seed", topic_prefix=topic_prefix)
        await bus.ensure_topics()
        for e, reason in ((good, "invalid_payload"), (other, "handler_failed")):
            await publish_dead_letter(bus, value=e.to_bytes(), key=e.key.encode(), headers=[
                ("dlq_reason", reason.encode()), ("dlq_detail", "字段缺失".encode()), ("dlq_consumer", b"report-svc.directory"),
                ("dlq_source", f"{topic_prefix}.directory/0/5".encode())])
        await bus.stop()

    asyncio.run(seed())
    listed = runner.invoke(app, ["dlq", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert good.id in listed.output and other.id in listed.output and "invalid_payload" in listed.output
    by_type = runner.invoke(app, ["dlq", "list", "--type", "task.created"], env=env)
    assert other.id in by_type.output and good.id not in by_type.output

    shown = runner.invoke(app, ["dlq", "show", good.id], env=env)
    assert shown.exit_code == 0 and "字段缺失" in shown.output and '"u1"' in shown.output
    assert runner.invoke(app, ["dlq", "show", "no-such-id"], env=env).exit_code == 1
    assert runner.invoke(app, ["dlq", "requeue"], env=env).exit_code == 2

    requeued = runner.invoke(app, ["dlq", "requeue", "--id", good.id], env=env)
    assert requeued.exit_code == 0 and "已重新投递 1 条" in requeued.output
    # Already requeued: not again unless asked.
    assert runner.invoke(app, ["dlq", "requeue", "--id", good.id], env=env).exit_code == 1
    pending = runner.invoke(app, ["dlq", "list", "--pending"], env=env)
    assert good.id not in pending.output and other.id in pending.output

    async def on_topic() -> list[bytes]:
        from aiokafka import AIOKafkaConsumer

        c = AIOKafkaConsumer(f"{topic_prefix}.directory", bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest")
        await c.start()
        try:
            batch = await c.getmany(timeout_ms=3000)
            return [r.value for recs in batch.values() for r in recs]
        finally:
            await c.stop()

    assert asyncio.run(on_topic()) == [good.to_bytes()]

    async def count() -> int:
        bus = KafkaBus(broker.bootstrap, client_id="n", topic_prefix=topic_prefix)
        try:
            return len(await read_dead_letters(bus))
        finally:
            await bus.stop()

    assert asyncio.run(count()) == 2


def _migrated(tmp_path: Path, monkeypatch) -> dict[str, str]:  # type: ignore[no-untyped-def]
    var = tmp_path / "var"
    monkeypatch.setenv("DUBAN_VAR_DIR", str(var))
    for k in ("DATABASE_URL", "TASK_SVC_DATABASE_URL", "PLAN_SVC_DATABASE_URL", "NOTIFY_SVC_DATABASE_URL", "REPORT_SVC_DATABASE_URL"):
        monkeypatch.delenv(k, raising=False)
    urls = {}
    for svc in DATA_SERVICES:
        urls[svc.name] = database_url(svc)
        run_migrations(svc.service_dir, urls[svc.name])
    return urls


def test_events_failed_lists_and_requeues_and_retention_prunes(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    urls = _migrated(tmp_path, monkeypatch)
    eng = sa.create_engine(sync_url(urls["plan-svc"]))
    now = utcnow()
    with eng.begin() as c:
        c.execute(sa.text("INSERT INTO outbox (event_id, topic, key, type, version, envelope, occurred_at, attempts, last_error, failed_at) "
                          "VALUES ('big-1', 'duban.plan', 'p1', 'plan.published', 1, :env, :t, 1, 'MessageSizeTooLargeError: 1.2 MB', :t)"),
                  {"env": "x" * 5000, "t": now})
        c.execute(sa.text("INSERT INTO outbox (event_id, topic, key, type, version, envelope, occurred_at, published_at) "
                          "VALUES ('old-1', 'duban.plan', 'p2', 'plan.published', 1, '{}', :t, :t)"), {"t": now - timedelta(days=30)})
    listed = runner.invoke(app, ["events", "failed"], env={"COLUMNS": "250"})
    assert listed.exit_code == 0, listed.output
    assert "big-1" in listed.output and "plan-svc" in listed.output and "MessageSizeTooLarge" in listed.output

    requeued = runner.invoke(app, ["events", "failed", "--requeue", "--id", "big-1"], env={"COLUMNS": "250"})
    assert "plan-svc：1 条已放回待发布队列" in requeued.output
    with eng.connect() as c:
        assert c.execute(sa.text("SELECT failed_at FROM outbox WHERE event_id='big-1'")).scalar_one() is None
    assert "没有被搁置的事件" in runner.invoke(app, ["events", "failed"]).output

    dry = runner.invoke(app, ["retention", "--dry-run"])
    assert "plan-svc：将删除 outbox 1 行" in dry.output
    done = runner.invoke(app, ["retention"])
    assert "plan-svc：已删除 outbox 1 行" in done.output
    with eng.connect() as c:
        assert [r[0] for r in c.execute(sa.text("SELECT event_id FROM outbox"))] == ["big-1"]
    eng.dispose()
