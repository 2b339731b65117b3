"""Fan-out: publish a 50-item plan to every district and school type (~89,000 tasks) through the real services.

Times from POST …/publish to: every task stored in task-svc, every event emitted, notify-svc through the task topic,
report-svc through the task topic and its counts equal to task-svc's (the `duban reports check` comparison); report-svc's
lag after task-svc finished emitting, and its events/s against a bare aiokafka consumer loop over the same records on
the same broker. Raw limit from the same run, same broker and same kind of database:
executemany of the same task rows + timeline rows into a fresh database, plus a bare aiokafka
produce-and-consume of one ~300-byte record per task. Also: peak RSS per service, and
GET /api/tasks p99 while the breakdown is written against the same request on the idle stack.

Knobs: DUBAN_BENCH_ITEMS (50), DUBAN_BENCH_DB (sqlite | postgres), DUBAN_BENCH_WAIT (600 s).
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from duban import reports
from duban_shared.db import Database, sync_url
from duban_shared.testing.broker import EmbeddedBroker
from duban_shared.testing.databases import DatabaseFactory
from duban_shared.testing.processes import ServiceProcess

ITEMS = int(os.environ.get("DUBAN_BENCH_ITEMS", "50"))
BACKEND = os.environ.get("DUBAN_BENCH_DB", "sqlite")
WAIT = float(os.environ.get("DUBAN_BENCH_WAIT", "600"))
SCHOOL_TYPES = ["kindergarten", "primary", "junior", "senior", "vocational", "special", "university"]
SERVICES = {"plan": "plan_svc.main:create_app", "task": "task_svc.main:create_app", "notify": "notify_svc.main:create_app",
            "report": "report_svc.main:create_app"}


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a process and its children, in MB."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            m = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{p}/status").read_text())
            total = max(total, int(m.group(1)) if m else 0)
        except OSError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def scalar(url: str, sql: str, **params: Any) -> Any:
    """One value (sync)."""
    eng = sa.create_engine(sync_url(url))
    try:
        with eng.connect() as c:
            return c.execute(sa.text(sql), params).scalar()
    except sa.exc.DBAPIError:
        return None
    finally:
        eng.dispose()


def draft() -> dict[str, Any]:
    """A plan of ITEMS items, each to every district and every school type."""
    items = [{"number": str(i), "title": f"第{i}项重点工作：推进教育优质均衡发展", "body": "全面落实。" * 10, "lead_units": ["基础教育处"],
              "supporting_units": ["德育与体卫艺处"], "targets": {"city": True, "districts": True, "school_types": SCHOOL_TYPES}}
             for i in range(1, ITEMS + 1)]
    return {"title": "明州市教育局2026年工作要点（压力测试）", "year": 2026, "sections": [{"number": "一", "title": "重点工作", "items": items}]}


async def latencies(client: httpx.AsyncClient, headers: dict[str, str], stop: asyncio.Event | None, n: int = 0) -> list[float]:
    """GET /api/tasks latencies (s): until `stop` is set, or n requests."""
    out: list[float] = []
    while (stop is not None and not stop.is_set()) or (stop is None and len(out) < n):
        t = time.perf_counter()
        r = await client.get("/api/tasks", params={"limit": 50}, headers=headers)
        out.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
        await asyncio.sleep(0.25)  # one steady client: four lists a second
    return out


def p99(xs: list[float]) -> float:
    """99th percentile."""
    return statistics.quantiles(xs, n=100)[98] if len(xs) >= 2 else (xs[0] if xs else float("nan"))


async def consumed_task_events(client: httpx.AsyncClient) -> float:
    """Events of the task topic a service's consumers got through (handled, duplicate or ignored)."""
    text = (await client.get("/metrics")).text
    return sum(float(m.group(1)) for m in re.finditer(r'_events_consumed_total\{[^}]*topic="[^"]*\.task"[^}]*\} ([0-9.e+]+)', text))


async def raw_limit(factory: DatabaseFactory, task_url: str, broker: EmbeddedBroker, plan_id: str) -> tuple[float, float, int]:
    """(executemany seconds, kafka produce+consume seconds, rows) for the same task and timeline rows."""
    from task_svc.base import TaskSvcModel
    from task_svc.tasks.models import Task, TaskEntry

    src = sa.create_engine(sync_url(task_url))
    with src.connect() as c:
        tasks = [dict(r._mapping) for r in c.execute(sa.select(Task.__table__).where(Task.__table__.c.plan_id == plan_id))]  # type: ignore[attr-defined]
        ids = {t["id"] for t in tasks}
        entries = [dict(r._mapping) for r in c.execute(sa.select(TaskEntry.__table__)) if r.task_id in ids]  # type: ignore[attr-defined]
    src.dispose()
    for e in entries:
        e.pop("id", None)
    db = Database(factory.new_url("raw"))
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sc: TaskSvcModel.metadata.create_all(sc, tables=[Task.__table__, TaskEntry.__table__]))  # type: ignore[attr-defined]
    t = time.perf_counter()
    async with db.engine.begin() as conn:
        await conn.execute(sa.insert(Task.__table__), tasks)  # type: ignore[attr-defined]
        await conn.execute(sa.insert(TaskEntry.__table__), entries)  # type: ignore[attr-defined]
    db_s = time.perf_counter() - t
    await db.dispose()

    topic = f"raw-{uuid.uuid4().hex[:6]}"
    value = (b'{"task_id":"%s","unit_id":"%s","level":"school","parent_id":"%s","due_date":"2026-12-31","title":"' % (
        b"x" * 36, b"y" * 36, b"z" * 36)) + b"t" * 120 + b'"}'
    p = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", enable_idempotence=False, linger_ms=5)
    c = AIOKafkaConsumer(topic, bootstrap_servers=broker.bootstrap, group_id=topic, auto_offset_reset="earliest", enable_auto_commit=False)
    await p.start()
    await p.send_and_wait(topic, b"warm-up")
    await c.start()
    t = time.perf_counter()
    futs = [await p.send(topic, value=value, key=str(i % 50).encode()) for i in range(len(tasks))]
    await asyncio.gather(*futs)
    got = 0
    while got < len(tasks) + 1:
        batch = await c.getmany(timeout_ms=500, max_records=2000)
        got += sum(len(r) for r in batch.values())
        await c.commit()
    kafka_s = time.perf_counter() - t
    await p.stop()
    await c.stop()
    return db_s, kafka_s, len(tasks)


async def _bench(broker: EmbeddedBroker, tmp: Path, factory: DatabaseFactory) -> list[dict[str, Any]]:
    prefix = f"f{uuid.uuid4().hex[:6]}"
    urls = {name: factory.new_url(name) for name in SERVICES}
    procs: dict[str, ServiceProcess] = {}
    for name, module in SERVICES.items():
        env = {"DUBAN_VAR_DIR": str(tmp / "var"), "DUBAN_DEMO": "true", "DUBAN_TOKEN_CHECK_URL": "", "DATABASE_URL": urls[name], "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
               "DUBAN_TOPIC_PREFIX": prefix, "DUBAN_LOG_JSON": "false", "DUBAN_DEMO_DIRECTORY": "true" if name == "task" else "false"}
        procs[name] = ServiceProcess(module, env, tmp / f"{name}.log")
    try:
        for p in procs.values():
            p.start()
        clients = {n: httpx.AsyncClient(base_url=p.url, timeout=120) for n, p in procs.items()}
        token = (await clients["task"].post("/api/auth/login", json={"username": "admin", "password": "demo"})).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}
        await asyncio.sleep(3)  # let the directory reach the read models
        units = scalar(urls["task"], "SELECT count(*) FROM units")
        for _ in range(240):  # report-svc too: a task placed before its unit arrived is re-placed later, which is not this bench
            if scalar(urls["report"], "SELECT count(*) FROM units") == units:
                break
            await asyncio.sleep(0.5)
        plan = (await clients["plan"].post("/api/plans", json=draft(), headers=h)).json()
        pid = plan["id"]
        stop = asyncio.Event()
        during_task = asyncio.create_task(latencies(clients["task"], h, stop))
        t0 = time.perf_counter()
        r = await clients["plan"].post(f"/api/plans/{pid}/publish", headers=h)
        assert r.status_code == 202, r.text
        marks: dict[str, float | None] = {"stored": None, "emitted": None, "notify": None, "report": None, "equal": None}
        expected: int | None = None
        task_events: int | None = None
        report_base, report_first = await consumed_task_events(clients["report"]), None
        while time.perf_counter() - t0 < WAIT and None in marks.values():
            stored_at = marks["stored"]
            if stored_at is not None and time.perf_counter() - t0 > stored_at + max(120.0, 3 * stored_at):
                break  # a consumer that never catches up (e.g. no handler for the batches yet) is reported as n/a
            now = time.perf_counter() - t0
            if marks["stored"] is None and scalar(urls["task"], "SELECT count(*) FROM breakdown_jobs WHERE plan_id = :p AND status = 'done'", p=pid):
                marks["stored"] = now
                expected = int(scalar(urls["task"], "SELECT count(*) FROM tasks WHERE plan_id = :p", p=pid))
                stop.set()
            if marks["stored"] is not None and marks["emitted"] is None and scalar(urls["task"], "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0:
                marks["emitted"] = now  # task-svc has handed every event of the breakdown to the broker
                task_events = int(scalar(urls["task"], "SELECT count(*) FROM outbox WHERE topic LIKE '%.task'"))
            if task_events and marks["notify"] is None and await consumed_task_events(clients["notify"]) >= task_events:
                marks["notify"] = time.perf_counter() - t0
            # report-svc: /metrics only while it drains (a counts check recomputes its figures, which would slow it down).
            got = await consumed_task_events(clients["report"]) - report_base
            if report_first is None and got > 0:
                report_first = time.perf_counter() - t0
            if task_events and marks["report"] is None and got >= task_events:
                marks["report"] = time.perf_counter() - t0
            if marks["report"] is not None and marks["equal"] is None:
                try:
                    if not await reports.check(task=clients["task"], report=clients["report"], plan_id=pid, headers=h):
                        marks["equal"] = time.perf_counter() - t0
                except RuntimeError as exc:  # e.g. report-svc does not know the plan yet
                    print(f"counts check: {exc}")
            await asyncio.sleep(0.25)
        stop.set()
        during = await during_task
        # The same request on the idle stack, holding the same data.
        idle = await latencies(clients["task"], h, None, max(60, len(during)))
        rss = {n: peak_rss_mb(p.proc.pid) for n, p in procs.items() if p.proc}
        try:
            report_diff = await reports.check(task=clients["task"], report=clients["report"], plan_id=pid, headers=h) if marks["equal"] is None else []
        except RuntimeError as exc:
            report_diff = [{"error": str(exc)}]
        for c in clients.values():
            await c.aclose()
    finally:
        for p in procs.values():
            p.stop()
    db_s, kafka_s, n = await raw_limit(factory, urls["task"], broker, pid)
    bare_s = await bare_consume(broker, f"{prefix}.task", task_events or 0)
    raw = db_s + kafka_s
    rows: list[dict[str, Any]] = []
    what = f"executemany of the same {n} task + timeline rows ({db_s:.2f} s) + aiokafka produce+consume of {n} × 300 B ({kafka_s:.2f} s)"
    head = f"fan-out {ITEMS} items → {expected or '?'} tasks ({BACKEND})"
    for key, label in (("stored", "every task stored"), ("emitted", "task-svc emitted every event"), ("notify", "notify-svc through the task topic"),
                       ("report", "report-svc applied every task event"), ("equal", "report-svc counts equal task-svc's")):
        v = marks[key]
        rows.append({"name": f"{head}: {label}", "value": v if v is not None else float("nan"),
                     "raw": raw, "ratio": (v / raw) if v is not None else float("nan"), "raw_what": what if key == "stored" else "same"})
    emitted, applied, equal = marks["emitted"], marks["report"], marks["equal"]
    nan = float("nan")
    if emitted is not None:
        for v, label in ((applied, "every event applied"), (equal, "counts equal (GET /api/tasks/counts vs …/counts)")):
            rows.append({"name": f"report-svc lag after task-svc finished emitting ({BACKEND}): {label}", "value": v - emitted if v is not None else nan,
                         "raw": emitted, "ratio": (v - emitted) / emitted if v is not None else nan, "unit": "s",
                         "raw_what": "publish → last event emitted (the ratio is lag / emitting time)"})
    if applied is not None and report_first is not None and task_events and bare_s:
        took = applied - report_first
        rows.append({"name": f"report-svc projection of {task_events} task events ({BACKEND}; {task_events / took:,.0f} events/s, first to last,"
                             " paced by task-svc while it keeps up)", "value": took / task_events * 1000, "raw": bare_s / task_events * 1000,
                     "ratio": took / bare_s, "unit": "ms/event",
                     "raw_what": f"bare aiokafka getmany+commit loop over the same records, same broker ({task_events / bare_s:,.0f} events/s)"})
    rows.append({"name": "GET /api/tasks p99 during breakdown vs idle", "value": p99(during) * 1000, "raw": p99(idle) * 1000,
                 "ratio": p99(during) / p99(idle), "unit": "ms", "raw_what": f"{len(during)} requests during, {len(idle)} idle"})
    for name, mb in rss.items():
        rows.append({"name": f"peak RSS {name}-svc", "value": mb, "raw": 250.0, "ratio": mb / 250.0, "unit": "MB", "raw_what": "target 250 MB"})
    if report_diff:
        print(f"report-svc counts differ from task-svc's at the end: {report_diff[:5]}")
    return rows


async def bare_consume(broker: EmbeddedBroker, topic: str, n: int) -> float:
    """Seconds a bare aiokafka loop (getmany of 200 + commit, as report-svc's consumer) takes to read n records of a topic."""
    if n <= 0:
        return 0.0
    c = AIOKafkaConsumer(topic, bootstrap_servers=broker.bootstrap, group_id=f"bare-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest",
                         enable_auto_commit=False)
    await c.start()
    try:
        got, start = 0, None
        while got < n:
            batch = await c.getmany(timeout_ms=500, max_records=200)
            if batch and start is None:
                start = time.perf_counter()  # from the first records: joining the group is not reading
            got += sum(len(r) for r in batch.values())
            await c.commit()
        return time.perf_counter() - (start or time.perf_counter())
    finally:
        await c.stop()


def run() -> list[dict[str, Any]]:
    """Run on a private embedded broker and temporary databases."""
    with tempfile.TemporaryDirectory() as d:
        factory = DatabaseFactory(BACKEND, Path(d))
        broker = EmbeddedBroker(log_path=Path(d) / "tansu.log").start()
        try:
            return asyncio.run(_bench(broker, Path(d), factory))
        finally:
            broker.stop()
            factory.cleanup()


if __name__ == "__main__":
    for row in run():
        print(row)
