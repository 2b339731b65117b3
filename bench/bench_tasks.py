"""Task lists at 100,000 tasks and the acknowledge burst through the gateway, against bare routes in the same run.

Needs PostgreSQL (DUBAN_TEST_POSTGRES_URL, default postgres@127.0.0.1:5432). task-svc, the gateway and the
bare app each run as one uvicorn process on loopback; messaging is off in task-svc (the outbox rows are
still written in each transaction; only the relay, which publishes later, does not run).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.db import sync_url
from duban_shared.testing.broker import free_port
from duban_shared.testing.databases import DatabaseFactory, postgres_available
from task_svc.config import TaskSettings

ITEMS, DISTRICTS, SCHOOLS = 50, 12, 2000
BURST, CONCURRENCY, LIST_REQUESTS = 2000, 50, 200
HERE = Path(__file__).resolve().parent


def _spawn(module: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", module, "--factory", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    return subprocess.Popen(cmd, env={**os.environ, **env}, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True, cwd=HERE)


def _wait(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def _seed(url: str) -> dict[str, object]:
    """Units and 100,650 tasks: per item a city task, 12 district tasks and 2,000 school tasks."""
    eng = sa.create_engine(sync_url(url))
    md = sa.MetaData()
    md.reflect(eng, only=["units", "tasks"])
    units, tasks = md.tables["units"], md.tables["tasks"]
    city, dept = "u-city", "u-dept"
    districts = [f"u-d{j:02d}" for j in range(DISTRICTS)]
    schools = [f"u-s{i:04d}" for i in range(SCHOOLS)]
    now = sa.func.now()
    rows = [dict(id=city, code="city", name="市教育局", kind="city", parent_id=None), dict(id=dept, code="dept", name="基础教育处", kind="department", parent_id=city)]
    rows += [dict(id=d, code=d, name=f"区{d}", kind="district", parent_id=city) for d in districts]
    rows += [dict(id=s, code=s, name=f"学校{s}", kind="school", parent_id=districts[i % DISTRICTS]) for i, s in enumerate(schools)]
    base = dict(plan_id="p-bench", plan_version=1, body="", status="assigned", percent=0, origin="published", late_joined=False,
                warning="green", indicator_values="[]")
    with eng.begin() as conn:
        conn.execute(units.insert().values(updated_at=now), [dict(r, active=True, school_type=None) for r in rows])
        for k in range(ITEMS):
            due = date(2026, 12, 1) + timedelta(days=3 * k)
            root = f"t{k:02d}-city"
            batch = [dict(base, id=root, item_id=f"i{k}", parent_id=None, root_id=root, level="city", unit_id=dept, issuer_unit_id=city, title=f"条目{k}", due_date=due)]
            batch += [dict(base, id=f"t{k:02d}-{d}", item_id=f"i{k}", parent_id=root, root_id=root, level="district", unit_id=d, issuer_unit_id=dept,
                           title=f"条目{k}", due_date=due) for d in districts]
            batch += [dict(base, id=f"t{k:02d}-{s}", item_id=f"i{k}", parent_id=f"t{k:02d}-{districts[i % DISTRICTS]}", root_id=root, level="school",
                           unit_id=s, issuer_unit_id=districts[i % DISTRICTS], title=f"条目{k}", due_date=due - timedelta(days=i % 7)) for i, s in enumerate(schools)]
            conn.execute(tasks.insert().values(created_at=now, updated_at=now), batch)
        conn.execute(sa.text("ANALYZE"))
        total = conn.execute(sa.text("SELECT count(*) FROM tasks")).scalar()
    eng.dispose()
    return {"districts": districts, "schools": schools, "tasks": total}


def _stats(lat: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(lat, n=100, method="inclusive")
    return statistics.median(lat), qs[98]


async def _burst(n: int, make: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]) -> dict[str, Any]:
    """n requests at fixed concurrency, bounded in time; throughput, p50, p99 and errors."""
    sem = asyncio.Semaphore(CONCURRENCY)
    lat: list[float] = []
    errors = 0
    kinds: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=60, trust_env=False) as client:
        async def one(i: int) -> None:
            nonlocal errors
            async with sem:
                t = time.perf_counter()
                try:
                    r = await make(client, i)
                    ok, kind = r.status_code == 200, str(r.status_code)
                except httpx.HTTPError as exc:
                    ok, kind = False, type(exc).__name__
                lat.append(time.perf_counter() - t)
                errors += not ok
                kinds[kind] += not ok
        t0 = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(n))), 600)
        wall = time.perf_counter() - t0
    p50, p99 = _stats(lat)
    return {"throughput": n / wall, "p50": p50, "p99": p99, "errors": errors, "wall": wall, "error_kinds": dict(+kinds)}


async def _sequential(n: int, url: str, params: dict[str, object], headers: dict[str, str]) -> tuple[float, float]:
    lat: list[float] = []
    async with httpx.AsyncClient(timeout=60, trust_env=False) as client:
        for _ in range(n):
            t = time.perf_counter()
            r = await client.get(url, params=params, headers=headers)
            assert r.status_code == 200, r.text
            lat.append(time.perf_counter() - t)
    return _stats(lat)


def run() -> list[dict]:
    """The rows for bench/run.py."""
    if not postgres_available():
        print("bench_tasks: PostgreSQL not reachable; skipped")
        return []
    tmp = Path(tempfile.mkdtemp(prefix="duban-bench-tasks-"))
    dbs = DatabaseFactory("postgres", tmp)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        url = dbs.new_url("bench-tasks")
        var = tmp / "var"
        ports = {"task": free_port(), "gw": free_port(), "bare": free_port()}
        common = {"DUBAN_VAR_DIR": str(var), "DUBAN_DEMO": "true", "DUBAN_TOKEN_CHECK_URL": "", "LOG_LEVEL": "WARNING", "DUBAN_LOG_JSON": "true"}
        task_env = {**common, "DATABASE_URL": url, "DUBAN_MESSAGING": "false", "DUBAN_DEADLINE_SCHEDULER": "false"}
        procs.append(_spawn("task_svc.main:create_app", ports["task"], task_env, tmp / "task.log"))
        _wait(f"http://127.0.0.1:{ports['task']}/healthz", procs[-1])
        t = time.perf_counter()
        seeded = _seed(url)
        print(f"bench_tasks: seeded {seeded['tasks']} tasks in {time.perf_counter() - t:.1f}s")
        procs.append(_spawn("gateway.main:create_app", ports["gw"], {**common, "TASK_SVC_URL": f"http://127.0.0.1:{ports['task']}"}, tmp / "gw.log"))
        procs.append(_spawn("bare_tasks_app:create_app", ports["bare"], {**common, "BENCH_DATABASE_URL": url}, tmp / "bare.log"))
        _wait(f"http://127.0.0.1:{ports['gw']}/healthz", procs[1])
        _wait(f"http://127.0.0.1:{ports['bare']}/docs", procs[2])
        issuer = issuer_from_settings(TaskSettings(var_dir=var))
        schools: list[str] = seeded["schools"]  # type: ignore[assignment]
        districts: list[str] = seeded["districts"]  # type: ignore[assignment]
        tokens = [issuer.issue(Principal(f"s{i}", s, "school", ("school",))) for i, s in enumerate(schools[:BURST])]
        district_token = issuer.issue(Principal("d0", districts[0], "district", ("district",)))
        return asyncio.run(_measure(ports, url, schools, districts, tokens, district_token))
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        dbs.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


async def _measure(ports: dict[str, int], url: str, schools: list[str], districts: list[str], tokens: list[str], district_token: str) -> list[dict]:
    svc, bare = f"http://127.0.0.1:{ports['task']}", f"http://127.0.0.1:{ports['bare']}"
    mine = [s for i, s in enumerate(schools) if i % DISTRICTS == 0]
    rows: list[dict] = []
    for who, token, units in (("school", tokens[0], [schools[0]]), ("district", district_token, [districts[0], *mine])):
        p50, p99 = await _sequential(LIST_REQUESTS, f"{svc}/api/tasks", {"sort": "due_date", "limit": 50}, {"Authorization": f"Bearer {token}"})
        r50, r99 = await _sequential(LIST_REQUESTS, f"{bare}/list", {"unit_ids": ",".join(units), "limit": 50}, {})
        rows += [dict(name=f"{who} task list p50 (100k tasks)", value=p50 * 1e3, raw=r50 * 1e3, ratio=p50 / r50, unit="ms", raw_what="bare route: same count + page SQL"),
                 dict(name=f"{who} task list p99 (100k tasks)", value=p99 * 1e3, raw=r99 * 1e3, ratio=p99 / r99, unit="ms", raw_what="bare route: same count + page SQL")]
    gw = f"http://127.0.0.1:{ports['gw']}"
    ack = await _burst(BURST, lambda c, i: c.post(f"{gw}/api/tasks/t00-{schools[i]}/acknowledge", headers={"Authorization": f"Bearer {tokens[i]}"}))
    raw = await _burst(BURST, lambda c, i: c.post(f"{bare}/ack/t01-{schools[i]}"))
    print(f"bench_tasks: acknowledge burst via gateway {ack}; bare route {raw}")
    eng = sa.create_engine(sync_url(url))
    with eng.connect() as conn:
        acked = conn.execute(sa.text("SELECT count(*) FROM tasks WHERE id LIKE 't00-%' AND status = 'acknowledged'")).scalar()
    eng.dispose()
    errs = f"errors {ack['errors']:.0f} (bare {raw['errors']:.0f}); {acked} tasks acknowledged"
    rows += [
        dict(name=f"ack burst: s per 1000 acks ({BURST} schools, c={CONCURRENCY}, via gateway)", value=1000 / ack["throughput"], raw=1000 / raw["throughput"],
             ratio=raw["throughput"] / ack["throughput"], unit="s", raw_what=f"bare route, one row update; target ratio ≤ 3.33 (≥0.3× throughput); {errs}"),
        dict(name="ack burst p50", value=ack["p50"] * 1e3, raw=raw["p50"] * 1e3, ratio=ack["p50"] / raw["p50"], unit="ms", raw_what="bare route p50"),
        dict(name="ack burst p99", value=ack["p99"] * 1e3, raw=raw["p99"] * 1e3, ratio=ack["p99"] / raw["p99"], unit="ms", raw_what="bare route p99; target ratio ≤ 3"),
    ]
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
