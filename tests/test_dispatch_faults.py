"""Breakdown under faults: SIGKILL task-svc mid-breakdown, and two task-svc instances on one database.

Real processes (uvicorn), the real embedded broker, real databases. The plan spans several
chunks (one commit each) and many tasks.assigned batches; after the fault the task set, the
event ids and their effect on a probe consumer must be exactly what one clean run gives.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import pytest
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
from duban_shared.testing.probe import probing
from duban_shared.testing.processes import ServiceProcess
from duban_shared.testing.publisher import publishing
from duban_shared.testing.services import eventually
from task_svc.tasks.breakdown import task_id_for
from task_svc.tasks.bulk import event_id

pytestmark = pytest.mark.slow


def service_env(var: Path, url: str, bootstrap: str, prefix: str, **extra: str) -> dict[str, str]:
    """Environment of a task-svc process wired to this test's broker, database and var dir."""
    return {
        "DUBAN_VAR_DIR": str(var), "DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DUBAN_TOPIC_PREFIX": prefix,
        "DUBAN_LOG_JSON": "false", "DUBAN_RELAY_INTERVAL": "0.05", "DUBAN_EPOCH_CHECK": "0.5", "DUBAN_RETRY_BACKOFF": "0.05",
        "DUBAN_DEMO_DIRECTORY": "true", "DUBAN_DEMO": "true", "DUBAN_TOKEN_CHECK_URL": "", **extra,
    }


def rows(url: str, sql: str, **params: object) -> list[sa.Row]:
    """Rows of a query (sync); [] while the schema is not there yet."""
    eng = sa.create_engine(sync_url(url))
    try:
        with eng.connect() as c:
            return list(c.execute(sa.text(sql), params).all())
    except sa.exc.DBAPIError:
        return []
    finally:
        eng.dispose()


def plan_of(n_items: int) -> PlanPublished:
    """A plan whose items each go to the city, every district and every kindergarten (758 tasks an item)."""
    items = [PlanItemSnapshot(id=f"i{i}-{uuid.uuid4().hex[:8]}", position=i, number=str(i), title=f"学前教育第{i}项", lead_units=["基础教育处"],
                              targets=TargetsSnapshot(school_types=["kindergarten"])) for i in range(1, n_items + 1)]
    return PlanPublished(plan_id=str(uuid.uuid4()), version=1, title="faults", published_by="admin", published_at=utcnow(),
                         default_deadline=date(2026, 12, 31), items=items)


def expected(url: str, plan: PlanPublished) -> tuple[set[str], set[str]]:
    """The task ids and tasks.assigned event ids one clean breakdown of `plan` gives on the demo directory."""
    units = rows(url, "SELECT id, code, kind, parent_id, school_type FROM units WHERE active")
    lead = next(u.id for u in units if u.code == "d-jjc")
    districts = [u.id for u in units if u.kind == "district"]
    kgs = [u for u in units if u.school_type == "kindergarten"]
    tasks: set[str] = set()
    events: set[str] = set()
    for it in plan.items:
        city = task_id_for(plan.plan_id, it.id, lead, "city")
        tasks.add(city)
        events |= {event_id("assigned", plan.plan_id, 1, it.id, "-", "published", 1), event_id("assigned", plan.plan_id, 1, it.id, city, "published", 1)}
        for d in districts:
            dt = task_id_for(plan.plan_id, it.id, d, "district")
            tasks.add(dt)
            events.add(event_id("assigned", plan.plan_id, 1, it.id, dt, "published", 1))
        tasks |= {task_id_for(plan.plan_id, it.id, k.id, "school") for k in kgs}
    return tasks, events


async def test_sigkill_mid_breakdown_gives_exactly_one_clean_run(db_factory, broker, topic_prefix, tmp_path) -> None:
    url = db_factory.new_url("task")
    env = service_env(tmp_path / "var", url, broker.bootstrap, topic_prefix, DUBAN_BREAKDOWN_CHUNK="100", DUBAN_BREAKDOWN_PAUSE="0.4")
    svc = ServiceProcess("task_svc.main:create_app", env, tmp_path / "task.log")
    plan = plan_of(8)
    async with probing(url=db_factory.new_url("probe"), bootstrap=broker.bootstrap, prefix=topic_prefix, topics=[TASK_TOPIC],
                       types=[TasksAssigned.TYPE, PlanDispatched.TYPE]) as probe, \
            publishing(db_factory.new_url("pub"), broker.bootstrap, topic_prefix) as pub:
        svc.start()
        try:
            await pub.publish([plan])

            async def part_way() -> bool:
                n = rows(url, "SELECT count(*) FROM tasks WHERE plan_id = :p", p=plan.plan_id)
                return bool(n) and n[0][0] >= 758

            await eventually(part_way, timeout=120, interval=0.02, what="breakdown part-way")
            svc.kill()
            written = rows(url, "SELECT count(*) FROM tasks WHERE plan_id = :p", p=plan.plan_id)[0][0]
            job = rows(url, "SELECT status, next_item FROM breakdown_jobs WHERE plan_id = :p", p=plan.plan_id)[0]
            assert job.status == "pending" and 0 < written < 8 * 758, f"the kill came too late to prove anything ({job}, {written})"
            before = {r[0] for r in rows(url, "SELECT event_id FROM outbox WHERE type = 'tasks.assigned'")}
            # The plan event arrives again after the restart (a re-sent record): it must change nothing.
            svc.start()
            await pub.publish([plan])

            async def finished() -> bool:
                return bool(rows(url, "SELECT 1 FROM breakdown_jobs WHERE plan_id = :p AND status = 'done'", p=plan.plan_id))

            await eventually(finished, timeout=180, what="breakdown finished after restart")
            want_tasks, want_events = expected(url, plan)
            got_tasks = {r[0] for r in rows(url, "SELECT id FROM tasks WHERE plan_id = :p", p=plan.plan_id)}
            assert got_tasks == want_tasks and len(want_tasks) == 8 * 758
            assert rows(url, "SELECT count(*) FROM task_entries")[0][0] == len(want_tasks)
            outbox = rows(url, "SELECT event_id, type FROM outbox WHERE type IN ('tasks.assigned', 'plan.dispatched')")
            assigned = {r[0] for r in outbox if r[1] == "tasks.assigned"}
            assert assigned == want_events and before <= assigned
            assert sum(1 for r in outbox if r[1] == "plan.dispatched") == 1

            async def applied_once() -> bool:
                counts = await probe.counts()
                assert set(counts.values()) <= {1}, "an event took effect twice"
                unpublished = rows(url, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]
                assert set(counts) == {r[0] for r in outbox}, f"{len(counts)} of {len(outbox)} applied, {unpublished} unpublished"
                return True

            await eventually(applied_once, timeout=180, what="every batch applied once by the probe")
        finally:
            svc.stop()


async def test_two_instances_on_one_database_make_no_duplicates(backend, db_factory, broker, topic_prefix, tmp_path) -> None:
    if backend != "postgres":
        pytest.skip("two instances sharing one database is a PostgreSQL deployment")
    url = db_factory.new_url("task")
    env = service_env(tmp_path / "var", url, broker.bootstrap, topic_prefix, DUBAN_BREAKDOWN_CHUNK="100")
    one = ServiceProcess("task_svc.main:create_app", env, tmp_path / "one.log")
    two = ServiceProcess("task_svc.main:create_app", env, tmp_path / "two.log")
    plans = [plan_of(3), plan_of(3)]
    async with publishing(db_factory.new_url("pub"), broker.bootstrap, topic_prefix) as pub:
        one.start()
        two.start()  # after the first has loaded the directory
        try:
            await pub.publish([plans[0], plans[1], plans[0]])

            async def finished() -> bool:
                return len(rows(url, "SELECT 1 FROM breakdown_jobs WHERE status = 'done'")) == 2

            await eventually(finished, timeout=180, what="both plans broken down")
            await asyncio.sleep(1)
            for plan in plans:
                want_tasks, want_events = expected(url, plan)
                got = rows(url, "SELECT id FROM tasks WHERE plan_id = :p", p=plan.plan_id)
                assert {r[0] for r in got} == want_tasks and len(got) == 3 * 758
                events = rows(url, "SELECT event_id, envelope FROM outbox WHERE type = 'tasks.assigned' AND envelope LIKE :p",
                              p=f"%{plan.plan_id}%")
                assert {r[0] for r in events} == want_events and len(events) == len(want_events)
            assert rows(url, "SELECT count(*) FROM task_entries")[0][0] == 6 * 758
            assert rows(url, "SELECT count(*) FROM outbox WHERE type = 'plan.dispatched'")[0][0] == 2
            # Three plan events (the first plan twice, as two envelopes) were handled once each; two jobs came of them.
            assert rows(url, "SELECT count(*) FROM inbox WHERE type = 'plan.published'")[0][0] == 3
            assert rows(url, "SELECT count(*) FROM breakdown_jobs")[0][0] == 2
        finally:
            one.stop()
            two.stop()
