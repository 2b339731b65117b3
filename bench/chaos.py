"""`make chaos`: SIGKILL task-svc twice while it breaks down a ~89,000-task plan; check exactly-once afterwards.

A 50-item plan to every district and school type of the demo directory is published on the
embedded broker. task-svc is killed (SIGKILL) part-way through the breakdown, restarted, killed
again, restarted. Then: the task ids are exactly those of one clean breakdown (computed here
from the directory, independently of task-svc's code), every tasks.assigned event id is the
deterministic one, and a probe consumer applied each event exactly once.

Knobs: DUBAN_CHAOS_ITEMS (50), DUBAN_CHAOS_DB (sqlite | postgres).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from duban_shared.db import sync_url
from duban_shared.events import utcnow
from duban_shared.events.catalogue import (
    TASK_TOPIC,
    PlanDispatched,
    PlanItemSnapshot,
    PlanPublished,
    TargetsSnapshot,
    TasksAssigned,
)
from duban_shared.testing.broker import EmbeddedBroker
from duban_shared.testing.databases import DatabaseFactory
from duban_shared.testing.probe import probing
from duban_shared.testing.processes import ServiceProcess
from duban_shared.testing.publisher import publishing

ITEMS = int(os.environ.get("DUBAN_CHAOS_ITEMS", "50"))
BACKEND = os.environ.get("DUBAN_CHAOS_DB", "sqlite")
TYPES = ["kindergarten", "primary", "junior", "senior", "vocational", "special", "university"]
TASK_NS = uuid.UUID("5b0f3c2e-9a57-4c1e-8f3e-6c1d2f0a7b11")  # the documented id scheme (docs/events.md)
EVENT_NS = uuid.UUID("0f6f5d0e-3f7b-4c55-9a55-8d3f1b7c2e90")


def q(url: str, sql: str, **params: object) -> list[sa.Row]:
    """Rows of a query; [] before the schema exists."""
    eng = sa.create_engine(sync_url(url))
    try:
        with eng.connect() as c:
            return list(c.execute(sa.text(sql), params).all())
    except sa.exc.DBAPIError:
        return []
    finally:
        eng.dispose()


def tid(plan: str, item: str, unit: str, level: str) -> str:
    """Task id as documented."""
    return str(uuid.uuid5(TASK_NS, f"{plan}/{item}/{level}/{unit}"))


def eid(*parts: object) -> str:
    """Batch event id as documented."""
    return str(uuid.uuid5(EVENT_NS, "/".join(str(p) for p in parts)))


def expected(url: str, plan: PlanPublished) -> tuple[set[str], set[str]]:
    """Task ids and tasks.assigned event ids of one clean breakdown (no batch needs splitting on the demo directory)."""
    units = q(url, "SELECT id, code, kind, parent_id FROM units WHERE active")
    city = next(u.id for u in units if u.kind == "city")
    lead = next(u.id for u in units if u.code == "d-jjc")
    districts = {u.id for u in units if u.kind == "district"}
    tasks, events = set(), set()
    for it in plan.items:
        ct = tid(plan.plan_id, it.id, lead, "city")
        tasks.add(ct)
        events |= {eid("assigned", plan.plan_id, 1, it.id, "-", "published", 1), eid("assigned", plan.plan_id, 1, it.id, ct, "published", 1)}
        for d in districts:
            dt = tid(plan.plan_id, it.id, d, "district")
            tasks.add(dt)
            events.add(eid("assigned", plan.plan_id, 1, it.id, dt, "published", 1))
        for u in units:
            if u.kind == "school":
                assert u.parent_id in districts or u.parent_id == city
                tasks.add(tid(plan.plan_id, it.id, u.id, "school"))
    return tasks, events


async def main() -> int:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        factory = DatabaseFactory(BACKEND, tmp)
        broker = EmbeddedBroker(log_path=tmp / "tansu.log").start()
        prefix = f"c{uuid.uuid4().hex[:6]}"
        url = factory.new_url("task")
        env = {"DUBAN_VAR_DIR": str(tmp / "var"), "DUBAN_DEMO": "true", "DUBAN_TOKEN_CHECK_URL": "", "DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "DUBAN_TOPIC_PREFIX": prefix,
               "DUBAN_LOG_JSON": "false", "DUBAN_DEMO_DIRECTORY": "true"}
        svc = ServiceProcess("task_svc.main:create_app", env, tmp / "task.log")
        items = [PlanItemSnapshot(id=f"i{i}-{uuid.uuid4().hex[:8]}", position=i, number=str(i), title=f"第{i}项", lead_units=["基础教育处"],
                                  targets=TargetsSnapshot(districts=True, school_types=TYPES)) for i in range(1, ITEMS + 1)]
        plan = PlanPublished(plan_id=str(uuid.uuid4()), version=1, title="chaos", published_by="admin", published_at=utcnow(),
                             default_deadline=date(2026, 12, 31), items=items)
        try:
            async with probing(url=factory.new_url("probe"), bootstrap=broker.bootstrap, prefix=prefix, topics=[TASK_TOPIC],
                               types=[TasksAssigned.TYPE, PlanDispatched.TYPE]) as probe, \
                    publishing(factory.new_url("pub"), broker.bootstrap, prefix, keys_dir=tmp / "var" / "keys") as pub:
                svc.start()
                t0 = time.perf_counter()
                await pub.publish([plan])
                count = "SELECT count(*) FROM tasks"
                for frac in (0.25, 0.6):
                    while (q(url, count) or [[0]])[0][0] < frac * ITEMS * 1782:
                        await asyncio.sleep(0.05)
                    svc.kill()
                    print(f"SIGKILL at {q(url, count)[0][0]} tasks, job {q(url, 'SELECT status, next_item FROM breakdown_jobs')}")
                    svc.start()
                while not q(url, "SELECT 1 FROM breakdown_jobs WHERE status = 'done'"):
                    await asyncio.sleep(0.2)
                print(f"breakdown done {time.perf_counter() - t0:.1f} s after publishing (two kills and restarts included)")
                want_tasks, want_events = expected(url, plan)
                got = {r[0] for r in q(url, "SELECT id FROM tasks")}
                outbox = q(url, "SELECT event_id, type FROM outbox WHERE type IN ('tasks.assigned', 'plan.dispatched')")
                assigned = {r[0] for r in outbox if r[1] == "tasks.assigned"}
                ok = got == want_tasks and assigned == want_events and sum(r[1] == "plan.dispatched" for r in outbox) == 1
                ok = ok and q(url, "SELECT count(*) FROM task_entries")[0][0] == len(want_tasks)
                print(f"tasks {len(got)} (expected {len(want_tasks)}), batches {len(assigned)} (expected {len(want_events)}): {'OK' if ok else 'MISMATCH'}")
                deadline = time.monotonic() + 600
                while time.monotonic() < deadline:
                    counts = await probe.counts()
                    if len(counts) >= len(outbox):
                        break
                    await asyncio.sleep(0.5)
                twice = [k for k, n in counts.items() if n != 1]
                once = set(counts) == {r[0] for r in outbox} and not twice
                print(f"probe: {len(counts)} events applied, {len(twice)} more than once: {'OK' if once else 'MISMATCH'}")
                return 0 if ok and once else 1
        finally:
            svc.stop()
            broker.stop()
            factory.cleanup()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
