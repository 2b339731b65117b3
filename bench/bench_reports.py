"""report-svc at scale: projection of a ~100,000-task publication, and read latency of summary and board.

- Projection: tasks.assigned batches (one per plan item × parent task, split per district as dispatch does) are
  published on a private embedded broker; we time from the first send until report-svc has applied every batch
  (inbox rows) and until its precomputed figures are fresh, and compare events/s with a bare aiokafka consumer
  loop (getmany + commit) reading the same records from the same broker.
- Reads: p50/p99 of the summary (city and one district) and of the board of one item, each against a bare
  indexed SELECT of the same rows in the same run.
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

from duban_shared.events import Envelope
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
from duban_shared.testing.broker import EmbeddedBroker
from duban_shared.testing.services import running

DISTRICTS, SCHOOLS_PER_DISTRICT, ACKS, READS = 12, 125, 2000, 60
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


async def _send(producer: AIOKafkaProducer, prefix: str, events: list[Any]) -> None:
    futs = []
    for e in events:
        env = Envelope(type=e.TYPE, version=e.VERSION, source="bench", key=e.partition_key(), payload=e.model_dump(mode="json"))
        futs.append(await producer.send(f"{prefix}.{e.TOPIC}", env.to_bytes(), key=env.key.encode()))
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


async def _timed(fn: Any, n: int = READS) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - t)
    return out


def _row(name: str, measured: list[float], raw: list[float], what: str) -> dict[str, Any]:
    m, r = _p(measured, 0.99) * 1000, _p(raw, 0.99) * 1000
    return {"name": f"{name} p99 (p50 {statistics.median(measured) * 1000:.1f} ms)", "value": m, "raw": r, "ratio": m / r, "unit": "ms", "raw_what": what}


async def _bench(broker: EmbeddedBroker, tmp: Path, db_url: str, label: str) -> list[dict[str, Any]]:
    from report_svc.config import ReportSettings
    from report_svc.main import create_app
    from report_svc.reports import board, docs
    from report_svc.reports.access import Scope

    prefix = f"b{uuid.uuid4().hex[:6]}"
    settings = ReportSettings(var_dir=tmp / "var", database_url=db_url, kafka_bootstrap_servers=broker.bootstrap, topic_prefix=prefix,
                              relay_interval_seconds=0.1, log_json=False, log_level="WARNING", snapshot_interval_days=0, stats_refresh_seconds=0.5)
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
            await _send(producer, prefix, [*units, plan])
            await _until(lambda: _units_done(db, len(units)))
            start = time.perf_counter()
            await _send(producer, prefix, batches)
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
            await _send(producer, prefix, acks)
            await _until(lambda: _inbox_at_least(db, "report-svc.tasks", len(batches) + len(acks)))
            took = time.perf_counter() - t0
            rows.append({"name": f"{len(acks)} task.acknowledged applied ({label}; {len(acks) / took:.0f} events/s)", "value": took / len(acks) * 1000,
                         "raw": bare / len(batches) * 1000, "ratio": (took / len(acks)) / (bare / len(batches)), "unit": "ms/event",
                         "raw_what": "bare aiokafka getmany+commit loop on the same broker, per record"})
            await _until(lambda: _fresh(db, plan_id))
            item = batches[0].item_id
            async with db.sessionmaker() as s:
                city, district = Scope(), Scope("district", "d03")

                async def summary_city() -> None:
                    await docs.summary_json(db=db, session=s, plan_id=plan_id, scope=city)  # what the route sends

                async def summary_district() -> None:
                    await docs.summary_json(db=db, session=s, plan_id=plan_id, scope=district)

                async def board_item() -> None:
                    await board.board(session=s, plan_id=plan_id, scope=city, item_id=item, parent_id=None, limit=5000, offset=0)

                async def bare(sql: str, **p: Any) -> None:
                    (await s.execute(sa.text(sql), p)).all()

                for name, fn, sql, p in (
                    ("summary, city (1,500+ schools)", summary_city, "SELECT * FROM plan_stats WHERE plan_id=:p AND part=''", {"p": plan_id}),
                    ("summary, one district", summary_district, "SELECT * FROM plan_stats WHERE plan_id=:p AND part=:d", {"p": plan_id, "d": "d03"}),
                    ("board of one item (1,513 units)", board_item, "SELECT * FROM tasks WHERE item_id=:i", {"i": item}),
                ):
                    await fn()
                    measured = await _timed(fn)
                    raw = await _timed(lambda sql=sql, p=p: bare(sql, **p))
                    rows.append(_row(f"{name} at {n_tasks} tasks ({label})", measured, raw, "bare indexed SELECT of the same rows, same run"))
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
