"""Two replicas of task-svc, notify-svc and report-svc on PostgreSQL; SIGKILLs and a broker restart mid-plan.

Real processes (uvicorn), the real embedded broker, one real PostgreSQL database per service shared by
its two replicas. A large plan is published as plan-svc would; while the breakdown is being written and
consumed, one replica of each service is SIGKILLed, the broker restarts (losing every topic and offset)
and the killed replicas come back. Afterwards every piece of work must have been done exactly once:
the task set of one clean breakdown, one digest notice per unit, report figures equal to task-svc's.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from duban.reports import check
from duban_shared.db import sync_url
from duban_shared.events import utcnow
from duban_shared.events.catalogue import PlanItemSnapshot, PlanPublished, TargetsSnapshot
from duban_shared.testing.processes import ServiceProcess
from duban_shared.testing.publisher import publishing
from duban_shared.testing.services import bearer, eventually
from task_svc.tasks.breakdown import task_id_for

pytestmark = pytest.mark.slow

# Each item goes to the city, every district bureau and every school of these types.
ITEMS = [("kindergarten",), ("primary",), ("kindergarten", "primary"), ("kindergarten",), ("primary",)]
# Log lines that mean work failed somewhere (a 500, a dead letter, a failed chunk or stats pass), whatever the end state.
FAILURES = ("unhandled error", "dead-lettered", "handler failed", "breakdown chunk failed", "stats refresh failed")
APPS = {"task": "task_svc.main:create_app", "notify": "notify_svc.main:create_app", "report": "report_svc.main:create_app"}


def service_env(var: Path, url: str, bootstrap: str, prefix: str, **extra: str) -> dict[str, str]:
    """Environment of one replica: the shared var dir (keys), its service's database, this test's broker."""
    return {
        "DUBAN_VAR_DIR": str(var), "DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DUBAN_TOPIC_PREFIX": prefix,
        "DUBAN_LOG_JSON": "false", "DUBAN_RELAY_INTERVAL": "0.1", "DUBAN_EPOCH_CHECK": "0.5", "DUBAN_RETRY_BACKOFF": "0.05",
        "DUBAN_CONFIRM_INTERVAL": "1", "DUBAN_DEMO": "true", "DUBAN_TOKEN_CHECK_URL": "", **extra,
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


def scalar(url: str, sql: str, **params: object) -> int:
    """One count."""
    got = rows(url, sql, **params)
    return int(got[0][0]) if got else 0


def large_plan() -> PlanPublished:
    """A plan whose items reach the city, all districts and every kindergarten and/or primary school."""
    items = [PlanItemSnapshot(id=f"i{n}-{uuid.uuid4().hex[:8]}", position=n, number=str(n), title=f"基础教育第{n}项", lead_units=["基础教育处"],
                              targets=TargetsSnapshot(school_types=list(types))) for n, types in enumerate(ITEMS, 1)]
    return PlanPublished(plan_id=str(uuid.uuid4()), version=1, title="多实例演练计划", published_by="admin", published_at=utcnow(),
                         default_deadline=date(2026, 12, 31), items=items)


def expected_tasks(url: str, plan: PlanPublished) -> dict[str, str]:
    """Task id -> unit id of one clean breakdown of `plan` on the demo directory (computed by hand, not by the service)."""
    units = rows(url, "SELECT id, code, kind, school_type FROM units WHERE active")
    lead = next(u.id for u in units if u.code == "d-jjc")
    districts = [u.id for u in units if u.kind == "district"]
    want: dict[str, str] = {}
    for it in plan.items:
        want[task_id_for(plan.plan_id, it.id, lead, "city")] = lead
        want |= {task_id_for(plan.plan_id, it.id, d, "district"): d for d in districts}
        types = set(it.targets.school_types)
        want |= {task_id_for(plan.plan_id, it.id, u.id, "school"): u.id for u in units if u.school_type in types}
    return want


def handled(svc: ServiceProcess, event_type: str) -> float:
    """How many events of a type this replica handled since it started (its own /metrics)."""
    try:
        text = httpx.get(svc.url + "/metrics", timeout=5).text
    except httpx.HTTPError:
        return 0.0
    return sum(s.value for fam in text_string_to_metric_families(text) for s in fam.samples
               if s.name.endswith("_events_consumed_total") and s.labels.get("type") == event_type and s.labels.get("outcome") == "handled")


def busiest(pair: list[ServiceProcess], event_type: str) -> ServiceProcess:
    """The replica that has handled more of the plan's batches (it holds the plan's partition)."""
    return max(pair, key=lambda s: handled(s, event_type))


def inbox_ids(url: str, consumer_like: str, event_type: str) -> list[str]:
    """Event ids a service's consumer recorded as handled."""
    return [r[0] for r in rows(url, "SELECT event_id FROM inbox WHERE consumer LIKE :c AND type = :t", c=consumer_like, t=event_type)]


async def test_two_replicas_each_killed_and_a_broker_restart_do_all_work_once(backend, db_factory, broker, topic_prefix, tmp_path) -> None:
    if backend != "postgres":
        pytest.skip("several replicas of a service share one database: a PostgreSQL deployment")
    var = tmp_path / "var"
    urls = {name: db_factory.new_url(name) for name in APPS}
    extra = {"task": {"DUBAN_DEMO_DIRECTORY": "true", "DUBAN_BREAKDOWN_CHUNK": "200", "DUBAN_BREAKDOWN_PAUSE": "4"},
             "notify": {}, "report": {"DUBAN_REPORT_STATS_REFRESH": "1"}}
    svcs = {name: [ServiceProcess(app, service_env(var, urls[name], broker.bootstrap, topic_prefix, **extra[name]), tmp_path / f"{name}-{i}.log")
                   for i in (1, 2)] for name, app in APPS.items()}
    everyone = [s for pair in svcs.values() for s in pair]
    plan = large_plan()
    try:
        # One replica at a time: the first runs the migrations (and loads the directory), the second finds them done.
        for s in everyone:
            await asyncio.to_thread(s.start)
        async with httpx.AsyncClient(base_url=svcs["task"][0].url, timeout=30) as c:
            r = await c.post("/api/auth/login", json={"username": "admin", "password": "demo"})
            admin = bearer(r.json()["access_token"])
        units = scalar(urls["task"], "SELECT count(*) FROM units")

        async def directory_known() -> bool:
            return all(scalar(urls[name], "SELECT count(*) FROM units") == units for name in ("notify", "report"))

        await eventually(directory_known, timeout=120, interval=0.5, what="the directory reached notify-svc and report-svc")
        async with publishing(db_factory.new_url("pub"), broker.bootstrap, topic_prefix, keys_dir=var / "keys") as pub:
            await pub.publish([plan])
            want = expected_tasks(urls["task"], plan)
            per_unit = Counter(want.values())

            async def mid_way() -> bool:
                written = scalar(urls["task"], "SELECT count(*) FROM tasks WHERE plan_id = :p", p=plan.plan_id)
                return (written >= 700 and scalar(urls["notify"], "SELECT count(*) FROM task_refs") > 0
                        and scalar(urls["report"], "SELECT count(*) FROM tasks") > 0)

            await eventually(mid_way, timeout=180, interval=0.05, what="breakdown written and consumed part-way")
            victims = [svcs["task"][0], busiest(svcs["notify"], "tasks.assigned"), busiest(svcs["report"], "tasks.assigned")]
            for v in victims:
                v.kill()
            written = scalar(urls["task"], "SELECT count(*) FROM tasks WHERE plan_id = :p", p=plan.plan_id)
            refs = scalar(urls["notify"], "SELECT count(*) FROM task_refs")
            reported = scalar(urls["report"], "SELECT count(*) FROM tasks")
            pending = scalar(urls["task"], "SELECT count(*) FROM breakdown_jobs WHERE plan_id = :p AND status = 'pending'", p=plan.plan_id)
            assert pending == 1 and written < len(want), f"the kill came too late to prove anything ({written} of {len(want)} written)"
            assert 0 < refs < len(want) and 0 < reported < len(want), f"not mid-consumption: notify {refs}, report {reported}"
            await asyncio.to_thread(broker.restart)
            for v in victims:
                await asyncio.to_thread(v.start)

            dispatched: list[str] = []

            async def done() -> bool:
                dispatched[:] = [r[0] for r in rows(urls["task"], "SELECT event_id FROM outbox WHERE type = 'plan.dispatched'")]
                told = scalar(urls["notify"], "SELECT count(*) FROM notifications WHERE plan_id = :p AND kind = 'tasks_assigned'", p=plan.plan_id)
                got = scalar(urls["report"], "SELECT count(*) FROM tasks WHERE plan_id = :p", p=plan.plan_id)
                return len(dispatched) == 1 and told >= len(per_unit) and got >= len(want)

            await eventually(done, timeout=240, interval=0.5, what=f"{len(want)} tasks reported and {len(per_unit)} digests")
            await asyncio.sleep(3)  # a late re-delivery would take effect now

            # task-svc: exactly one clean breakdown, each task announced in exactly one batch.
            tasks = {r[0]: r[1] for r in rows(urls["task"], "SELECT id, unit_id FROM tasks WHERE plan_id = :p", p=plan.plan_id)}
            assert tasks == want
            assert scalar(urls["task"], "SELECT count(*) FROM task_entries") == len(want)
            batches = rows(urls["task"], "SELECT event_id, envelope FROM outbox WHERE type = 'tasks.assigned'")
            announced = Counter(t["task_id"] for _, env in batches for t in json.loads(env)["payload"]["tasks"])
            assert set(announced) == set(want) and set(announced.values()) == {1}
            assert scalar(urls["task"], "SELECT count(*) FROM inbox WHERE type = 'plan.published'") == 1

            # notify-svc: every batch and the dispatch handled once; one digest per unit listing all its tasks.
            batch_ids = {r[0] for r in batches}
            assert sorted(inbox_ids(urls["notify"], "%tasks", "tasks.assigned")) == sorted(batch_ids)
            assert inbox_ids(urls["notify"], "%tasks", "plan.dispatched") == dispatched
            notices = rows(urls["notify"], "SELECT unit_id, event_id FROM notifications WHERE plan_id = :p AND kind = 'tasks_assigned'", p=plan.plan_id)
            assert Counter(n[0] for n in notices) == Counter(set(per_unit)), "a unit got no digest, or more than one"
            assert {n[1] for n in notices} == set(dispatched)
            listed = rows(urls["notify"], "SELECT unit_id, count(*) FROM task_refs WHERE plan_id = :p AND digest_id = :d GROUP BY unit_id",
                          p=plan.plan_id, d=dispatched[0])
            assert dict(listed) == dict(per_unit), "a digest missed tasks of its unit"

            # report-svc: the same tasks, the same figures as task-svc's own counts.
            assert sorted(inbox_ids(urls["report"], "%tasks", "tasks.assigned")) == sorted(batch_ids)
            assert {r[0] for r in rows(urls["report"], "SELECT id FROM tasks WHERE plan_id = :p", p=plan.plan_id)} == set(want)
            async with httpx.AsyncClient(base_url=svcs["task"][1].url, timeout=60) as t, \
                    httpx.AsyncClient(base_url=svcs["report"][0].url, timeout=60) as rep:
                assert await check(task=t, report=rep, plan_id=plan.plan_id, headers=admin) == []
                summary = (await rep.get(f"/api/reports/plans/{plan.plan_id}/summary", headers=admin)).json()
                assert summary["totals"]["tasks"] == len(want)
                for other in (svcs["report"][1].url,):
                    r = await rep.get(f"{other}/api/reports/plans/{plan.plan_id}/summary", headers=admin)
                    assert r.json()["totals"] == summary["totals"], "the replicas disagree"
            failures = [f"{s.log_path.name}: {line[:200]}" for s in everyone for line in s.log_path.read_text(errors="replace").splitlines()
                        if any(f in line for f in FAILURES)]
            assert not failures, "\n".join(failures[:20])
            print(f"\nmulti-instance: {len(want)} tasks, {len(batch_ids)} tasks.assigned batches, {len(per_unit)} digests; "
                  f"killed with {written} written, notify {refs} refs, report {reported} tasks")
    finally:
        for s in everyone:
            s.stop()
