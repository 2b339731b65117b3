"""report-svc at scale: projection of a ~100,000-task publication, and read latency of summary and board.

- Projection: tasks.assigned batches (one per plan item × parent task, split per district as dispatch does) are
  published on a private embedded broker; we time from the first send until report-svc has applied every batch
  (inbox rows) and until its precomputed figures are fresh, and compare events/s with a bare aiokafka consumer
  loop (getmany + commit) reading the same records from the same broker.
- Reads: p50/p99 of the summary (city and one district) and of the board of one item, as the JSON bytes the
  route sends, each against a bare indexed SELECT of the same rows in the same run (alternating, fresh sessions).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from duban_shared.events.catalogue import (
    AssignedTask,
    IndicatorSnapshot,
    PlanItemSnapshot,
    PlanPublished,
    TaskAcknowledged,
    TasksAssigned,
    UnitUpserted,
)
from duban_shared.messaging import KafkaBus
from duban_shared.messaging.signing import signer_for
from duban_shared.testing.broker import EmbeddedBroker
from duban_shared.testing.services import running
from duban_shared.testing.signing import owner_envelope

DISTRICTS, SCHOOLS_PER_DISTRICT, ACKS, READS = 12, 125, 2000, 500
ITEMS = int(os.environ.get("DUBAN_BENCH_REPORT_ITEMS", "66"))  # 66 items × 1,513 units = 99,858 tasks
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _directory() -> list[UnitUpserted]:
    units = [UnitUpserted(id="city", code="C0", name="市教育局", kind="city"),
             UnitUpserted(id="dept", code="C0-01", name="基础教育处", kind="department", parent_id="city")]
    for d in range(DISTRICTS):
        units.append(UnitUpserted(id=f"d{d:02d}", code=f"D{d:02d}", name=f"区{d}", kind="district", parent_id="city"))
        units += [UnitUpserted(id=f"d{d:02d}s{s:03d}", code=f"D{d:02d}-S{s:03d}", name=f"学校{d}-{s}", kind="school", parent_id=f"d{d:02d}",
                               school_type="primary", enrolment=300 + 7 * s) for s in range(SCHOOLS_PER_DISTRICT)]
    return units


def _publication(plan_id: str) -> tuple[PlanPublished, list[TasksAssigned]]:
    items = [PlanItemSnapshot(id=f"{plan_id[:8]}-i{i:03d}", position=i, section_number=str(i // 10), number=str(i + 1), title=f"事项{i}",
                              indicators=[IndicatorSnapshot(id=f"{plan_id[:8]}-k{i:03d}", name="覆盖率", target=90, unit="%")]) for i in range(ITEMS)]
    plan = PlanPublished(plan_id=plan_id, version=1, title="压测计划", year=2026, published_by="bench", published_at=T0, items=items)
    batches: list[TasksAssigned] = []
    due = date(2026, 6, 30)
    for it in items:
        city = str(uuid.uuid4())
        batches.append(TasksAssigned(plan_id=plan_id, item_id=it.id, title=it.title, at=T0, tasks=[
            AssignedTask(task_id=city, unit_id="dept", level="city", issuer_unit_id="city", due_date=due)]))
        dtasks = {f"d{d:02d}": str(uuid.uuid4()) for d in range(DISTRICTS)}
        batches.append(TasksAssigned(plan_id=plan_id, item_id=it.id, parent_id=city, title=it.title, at=T0, tasks=[
            AssignedTask(task_id=tid, unit_id=d, level="district", parent_id=city, issuer_unit_id="dept", due_date=due) for d, tid in dtasks.items()]))
        for d, tid in dtasks.items():
            batches.append(TasksAssigned(plan_id=plan_id, item_id=it.id, parent_id=tid, title=it.title, at=T0, tasks=[
                AssignedTask(task_id=str(uuid.uuid4()), unit_id=f"{d}s{s:03d}", level="school", parent_id=tid, issuer_unit_id=d, due_date=due)
                for s in range(SCHOOLS_PER_DISTRICT)]))
    return plan, batches


async def _send(producer: AIOKafkaProducer, keys: Path, prefix: str, events: list[Any]) -> None:
    """Send as the topic's owner would (signed with its key: report-svc dead-letters anything else)."""
    futs, signers = [], {}
    for e in events:
        env = owner_envelope(e)
        signer = signers.get(env.source) or signers.setdefault(env.source, signer_for(keys, env.source, prefix, create=True))
        topic, value = f"{prefix}.{e.TOPIC}", env.to_bytes()
        futs.append(await producer.send(topic, value, key=env.key.encode(), headers=signer.headers(topic, value)))
    await asyncio.gather(*futs)


async def _count(db: Any, sql: str, **params: Any) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(sa.text(sql), params)).scalar_one())


async def _until(check: Any, timeout: float = 1800) -> float:
    start = time.perf_counter()
    while not await check():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("bench timed out")
        await asyncio.sleep(0.05)
    return time.perf_counter()


async def _bare_consume(bootstrap: str, topic: str, n: int) -> float:
    c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bare-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest",
                         enable_auto_commit=False, max_partition_fetch_bytes=8 << 20)
    await c.start()
    try:
        got, t = 0, None
        while got < n:
            batch = await c.getmany(timeout_ms=500, max_records=200)
            if batch and t is None:
                t = time.perf_counter()
            got += sum(len(r) for r in batch.values())
            await c.commit()
        return time.perf_counter() - (t or time.perf_counter())
    finally:
        await c.stop()


def _p(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


async def _timed_pair(db: Any, fn: Any, sql: str, params: dict[str, Any], n: int = READS) -> tuple[list[float], list[float]]:
    """Latencies of `fn` and of the bare SELECT, alternating (both see the same load), each in a fresh session as a request."""
    measured, raw = [], []
    for i in range(n + 5):
        async with db.sessionmaker() as s:
            t = time.perf_counter()
            body = await fn(s)
            took = time.perf_counter() - t
        assert isinstance(body, bytes) and body[:1] == b"{"
        async with db.sessionmaker() as s:
            t = time.perf_counter()
            (await s.execute(sa.text(sql), params)).all()
            bare = time.perf_counter() - t
        if i >= 5:  # the first few warm the caches
            measured.append(took)
            raw.append(bare)
    return measured, raw


def _row(name: str, measured: list[float], raw: list[float], what: str) -> dict[str, Any]:
    m, r = _p(measured, 0.99) * 1000, _p(raw, 0.99) * 1000
    p50 = f"p50 {statistics.median(measured) * 1000:.1f} ms, raw {statistics.median(raw) * 1000:.1f} ms"
    return {"name": f"{name} p99 ({p50})", "value": m, "raw": r, "ratio": m / r, "unit": "ms", "raw_what": what}


async def _bench(broker: EmbeddedBroker, tmp: Path, db_url: str, label: str) -> list[dict[str, Any]]:
    from report_svc.config import ReportSettings
    from report_svc.main import create_app
    from report_svc.reports import board, docs
    from report_svc.reports.access import Scope
    from report_svc.tasks.models import ReportTask

    prefix = f"b{uuid.uuid4().hex[:6]}"
    settings = ReportSettings(var_dir=tmp / "var", database_url=db_url, kafka_bootstrap_servers=broker.bootstrap, topic_prefix=prefix,
                              relay_interval_seconds=0.1, log_json=False, demo_mode=True, token_check_url="", log_level="WARNING", snapshot_interval_days=0, stats_refresh_seconds=0.5)
    bus = KafkaBus(broker.bootstrap, client_id="bench", topic_prefix=prefix)
    await bus.ensure_topics()
    await bus.stop()
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", enable_idempotence=False, linger_ms=5, max_request_size=8 << 20)
    await producer.start()
    plan_id = str(uuid.uuid4())
    plan, batches = _publication(plan_id)
    n_tasks = sum(len(b.tasks) for b in batches)
    app = create_app(settings)
    rows: list[dict[str, Any]] = []
    try:
        async with running(app):
            db = app.state.ctx.db
            units = _directory()
            await _send(producer, settings.keys_dir, prefix, [*units, plan])
            await _until(lambda: _units_done(db, len(units)))
            start = time.perf_counter()
            await _send(producer, settings.keys_dir, prefix, batches)
            sent = time.perf_counter()
            applied = await _until(lambda: _inbox_at_least(db, "report-svc.tasks", len(batches)))
            fresh = await _until(lambda: _fresh(db, plan_id))
            consume = applied - start
            bare = await _bare_consume(broker.bootstrap, f"{prefix}.task", len(batches))
            rows.append({"name": f"projection of {n_tasks} tasks in {len(batches)} batches ({label}): lag after the last send", "value": applied - sent,
                         "raw": max(sent - start, 1e-9), "ratio": (applied - sent) / max(sent - start, 1e-9), "unit": "s",
                         "raw_what": "time to publish the batches (the ratio is lag / publishing time)"})
            rows.append({"name": f"projection per batch event ({label}; {len(batches) / consume:.1f} events/s, {n_tasks / consume:,.0f} tasks/s)",
                         "value": consume / len(batches) * 1000, "raw": bare / len(batches) * 1000, "ratio": consume / bare, "unit": "ms/event",
                         "raw_what": f"bare aiokafka getmany+commit loop over the same records ({len(batches) / bare:,.0f} events/s)"})
            rows.append({"name": f"figures fresh after the last batch ({label})", "value": fresh - applied, "raw": await _recompute_cost(db, plan_id),
                         "ratio": (fresh - applied) / max(await _recompute_cost(db, plan_id), 1e-9), "unit": "s",
                         "raw_what": "one recompute of the plan's precomputed rows"})
            # Human-paced lifecycle events on top: 2,000 acknowledgements.
            picked = [(b, t) for b in batches[2::14] for t in b.tasks][:ACKS]
            acks = [TaskAcknowledged(task_id=t.task_id, plan_id=plan_id, item_id=b.item_id, parent_id=t.parent_id, level=t.level, unit_id=t.unit_id,
                                     issuer_unit_id=t.issuer_unit_id, status="acknowledged", at=T0 + timedelta(hours=3)) for b, t in picked]
            t0 = time.perf_counter()
            await _send(producer, settings.keys_dir, prefix, acks)
            await _until(lambda: _inbox_at_least(db, "report-svc.tasks", len(batches) + len(acks)))
            took = time.perf_counter() - t0
            rows.append({"name": f"{len(acks)} task.acknowledged applied ({label}; {len(acks) / took:.0f} events/s)", "value": took / len(acks) * 1000,
                         "raw": bare / len(batches) * 1000, "ratio": (took / len(acks)) / (bare / len(batches)), "unit": "ms/event",
                         "raw_what": "bare aiokafka getmany+commit loop on the same broker, per record"})
            await _until(lambda: _fresh(db, plan_id))
            item, district_task = batches[0].item_id, batches[1].tasks[3].task_id  # a district's task: its board lists its schools
            city, district = Scope(), Scope("district", "d03")
            # The table's columns before the stored line: the bare SELECT is not slowed by the line it does not need.
            cols = ", ".join(c.name for c in ReportTask.__table__.c if c.name != "board_line")  # type: ignore[attr-defined]

            async def summary_city(s: Any) -> bytes:
                return await docs.summary_json(db=db, session=s, plan_id=plan_id, scope=city)  # what the route sends

            async def summary_district(s: Any) -> bytes:
                return await docs.summary_json(db=db, session=s, plan_id=plan_id, scope=district)

            async def board_item(s: Any) -> bytes:
                return await board.board_json(session=s, plan_id=plan_id, scope=city, item_id=item, parent_id=None, limit=5000, offset=0)

            async def board_parent(s: Any) -> bytes:
                return await board.board_json(session=s, plan_id=plan_id, scope=district, item_id=None, parent_id=district_task, limit=2000, offset=0)

            for name, fn, sql, p in (
                ("summary, city (1,500+ schools)", summary_city, "SELECT * FROM plan_stats WHERE plan_id=:p AND part=''", {"p": plan_id}),
                ("summary, one district", summary_district, "SELECT * FROM plan_stats WHERE plan_id=:p AND part=:d", {"p": plan_id, "d": "d03"}),
                ("board of one item (1,513 units)", board_item, f"SELECT {cols} FROM tasks WHERE item_id=:i", {"i": item}),
                ("board of a district's task (125 schools)", board_parent, f"SELECT {cols} FROM tasks WHERE parent_id=:t", {"t": district_task}),
            ):
                measured, raw = await _timed_pair(db, fn, sql, p)
                rows.append(_row(f"{name} at {n_tasks} tasks ({label})", measured, raw,
                                 "bare indexed SELECT of the same rows (fetched, no ORDER BY), same run, interleaved"))
    finally:
        await producer.stop()
    for r in rows:
        print(f"  {r['name']}: {r['value']:.4g} {r['unit']} (raw {r['raw']:.4g}, ratio {r['ratio']:.2f})")
    return rows


async def _units_done(db: Any, n: int) -> bool:
    try:
        return await _count(db, "SELECT count(*) FROM units") >= n
    except Exception:  # the table appears once migrations ran
        return False


async def _inbox_at_least(db: Any, consumer: str, n: int) -> bool:
    return await _count(db, "SELECT count(*) FROM inbox WHERE consumer=:c", c=consumer) >= n


async def _fresh(db: Any, plan_id: str) -> bool:
    return await _count(db, "SELECT count(*) FROM plan_stats_state WHERE plan_id=:p AND dirty_gen IS NULL", p=plan_id) == 1


async def _recompute_cost(db: Any, plan_id: str) -> float:
    async with db.engine.connect() as conn:
        return float((await conn.execute(sa.text("SELECT seconds FROM plan_stats_state WHERE plan_id=:p"), {"p": plan_id})).scalar_one())


def run() -> list[dict[str, Any]]:
    """SQLite always; PostgreSQL too when one answers on 127.0.0.1:5432."""
    from duban_shared.testing.databases import DatabaseFactory, postgres_available

    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as d:
        broker = EmbeddedBroker().start()
        try:
            backends = ["sqlite"] + (["postgres"] if postgres_available() else [])
            for backend in backends:
                f = DatabaseFactory(backend, Path(d))
                try:
                    out += asyncio.run(_bench(broker, Path(d) / backend, f.new_url("report-svc"), backend))
                finally:
                    f.cleanup()
        finally:
            broker.stop()
    return out


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for row in run():
        print(row)
