"""report-svc fixtures: the service running in process, a feed publishing envelopes on the real broker, tokens."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from duban_shared.auth import Principal, TokenIssuer, issuer_from_settings
from duban_shared.events import Envelope
from duban_shared.events.catalogue import (
    AssignedTask,
    IndicatorSnapshot,
    IntegrationEvent,
    PlanItemSnapshot,
    PlanPublished,
    TaskAcknowledged,
    TaskApproved,
    TaskCreated,
    TaskEvent,
    TaskProgressReported,
    TasksAssigned,
    TaskSubmitted,
    TaskWithdrawn,
    UnitUpserted,
)
from duban_shared.messaging import KafkaBus
from duban_shared.testing.services import bearer, eventually, running
from duban_shared.testing.signing import owner_envelope, signed_headers
from report_svc.config import ReportSettings
from report_svc.main import create_app

PAST = date(2020, 1, 10)
FUTURE = date(2099, 12, 31)
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Feed:
    """Publishes envelopes straight onto the broker, as another service's relay would."""

    def __init__(self, bootstrap: str, prefix: str, keys_dir: Path) -> None:
        self.keys_dir = keys_dir
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
        self.sent = 0

    async def start(self) -> None:
        """Create the topics and connect."""
        bus = KafkaBus(self.bootstrap, client_id="feed", topic_prefix=self.prefix)
        await bus.ensure_topics()
        await bus.stop()
        await self.producer.start()

    async def publish(self, event: IntegrationEvent) -> Envelope:
        """Wrap the event in a fresh envelope and send it, keyed by its aggregate."""
        env = owner_envelope(event)
        await self.send(env, event.TOPIC)
        return env

    async def send(self, env: Envelope, topic: str) -> None:
        """Send an envelope as is (the same envelope twice is a redelivery)."""
        full = f"{self.prefix}.{topic}"
        headers = signed_headers(self.keys_dir, self.prefix, full, env)
        await self.producer.send_and_wait(full, env.to_bytes(), key=env.key.encode(), headers=headers)
        self.sent += 1


@dataclass
class Directory:
    """A small directory: city bureau, one department, two districts, three schools."""

    city: str = "city-0001"
    dept: str = "dept-0001"
    d1: str = "dist-0001"
    d2: str = "dist-0002"
    s1a: str = "schl-1a"
    s1b: str = "schl-1b"
    s2a: str = "schl-2a"

    def events(self) -> list[UnitUpserted]:
        """The unit.upserted events that describe it."""
        return [
            UnitUpserted(id=self.city, code="C0", name="明州市教育局", kind="city"),
            UnitUpserted(id=self.dept, code="C0-01", name="基础教育处", kind="department", parent_id=self.city),
            UnitUpserted(id=self.d1, code="D01", name="海曙区教育局", kind="district", parent_id=self.city),
            UnitUpserted(id=self.d2, code="D02", name="江北区教育局", kind="district", parent_id=self.city),
            UnitUpserted(id=self.s1a, code="D01-S1", name="海曙区第一小学", kind="school", parent_id=self.d1, school_type="primary", enrolment=1200),
            UnitUpserted(id=self.s1b, code="D01-S2", name="海曙区实验中学", kind="school", parent_id=self.d1, school_type="junior", enrolment=800),
            UnitUpserted(id=self.s2a, code="D02-S1", name="江北区中心幼儿园", kind="school", parent_id=self.d2, school_type="kindergarten", enrolment=300),
        ]


@dataclass
class TaskRef:
    """The fixed fields of one task, for building its events."""

    plan_id: str
    level: str
    unit_id: str
    issuer_unit_id: str | None
    item_id: str | None = None
    parent_id: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def assigned(self, due_date: date | None = None) -> AssignedTask:
        """This task as a row of a tasks.assigned batch."""
        return AssignedTask(task_id=self.id, unit_id=self.unit_id, level=self.level, parent_id=self.parent_id,  # type: ignore[arg-type]
                            issuer_unit_id=self.issuer_unit_id, due_date=due_date)

    def event(self, cls: type[TaskEvent], status: str, at: datetime, **extra: Any) -> TaskEvent:
        """One event of this task."""
        if cls is TaskCreated:
            extra.setdefault("title", f"{self.level}任务")
        return cls(task_id=self.id, plan_id=self.plan_id, item_id=self.item_id, parent_id=self.parent_id, level=self.level,  # type: ignore[arg-type]
                   unit_id=self.unit_id, issuer_unit_id=self.issuer_unit_id, status=status, actor="tester", at=at, **extra)


@dataclass
class Harness:
    """The running report-svc, its feed and a token issuer."""

    app: FastAPI
    client: httpx.AsyncClient
    feed: Feed
    issuer: TokenIssuer
    directory: Directory

    def auth(self, *, kind: str, unit_id: str | None, roles: tuple[str, ...]) -> dict[str, str]:
        """Authorization header of a caller of the given kind."""
        return bearer(self.issuer.issue(Principal(username=f"{kind}-user", unit_id=unit_id, unit_kind=kind, roles=roles)))

    @property
    def city(self) -> dict[str, str]:
        """A city bureau staff member."""
        return self.auth(kind="city", unit_id=self.directory.city, roles=("city", "plan_admin"))

    def district(self, unit_id: str) -> dict[str, str]:
        """A district bureau account."""
        return self.auth(kind="district", unit_id=unit_id, roles=("district",))

    def task(self, plan_id: str, level: str, unit_id: str, issuer_unit_id: str | None, item_id: str | None = None, parent_id: str | None = None) -> TaskRef:
        """A new task of the plan, not yet published."""
        return TaskRef(plan_id=plan_id, level=level, unit_id=unit_id, issuer_unit_id=issuer_unit_id, item_id=item_id, parent_id=parent_id)

    def school(self, unit_id: str) -> dict[str, str]:
        """A school account."""
        return self.auth(kind="school", unit_id=unit_id, roles=("school",))

    @property
    def admin(self) -> dict[str, str]:
        """The system administrator."""
        return self.auth(kind="city", unit_id=self.directory.city, roles=("admin",))

    future = FUTURE
    past = PAST

    @staticmethod
    def batch(*args: Any, **kwargs: Any) -> TasksAssigned:
        """A tasks.assigned batch (see `batch`)."""
        return batch(*args, **kwargs)

    @staticmethod
    def plan(*args: Any, **kwargs: Any) -> PlanPublished:
        """A plan.published event (see `plan_event`)."""
        return plan_event(*args, **kwargs)

    @staticmethod
    def at(minutes: int) -> datetime:
        """A moment `minutes` after a fixed start."""
        return T0 + timedelta(minutes=minutes)

    async def consumed(self) -> dict[tuple[str, str], float]:
        """Events consumed by (type, outcome), read from /metrics."""
        text = (await self.client.get("/metrics")).text
        out: dict[tuple[str, str], float] = {}
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                if s.name.endswith("_events_consumed_total"):
                    key = (s.labels["type"], s.labels["outcome"])
                    out[key] = out.get(key, 0) + s.value
        return out

    async def settle(self) -> dict[tuple[str, str], float]:
        """Wait until every envelope the feed sent has been consumed (handled, duplicate or ignored)."""

        async def done() -> dict[tuple[str, str], float] | None:
            seen = await self.consumed()
            return seen if sum(seen.values()) >= self.feed.sent else None

        return await eventually(done, timeout=60, what=f"{self.feed.sent} events consumed")

    async def publish_all(self, events: list[IntegrationEvent]) -> list[Envelope]:
        """Publish events in order, then wait until all were consumed."""
        envs = [await self.feed.publish(e) for e in events]
        await self.settle()
        return envs

    async def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """GET as city staff unless other headers are given."""
        return await self.client.get(path, headers=self.city if headers is None else headers)


@pytest.fixture
async def report(make_settings: Callable[..., Any], broker: Any, topic_prefix: str) -> AsyncIterator[Harness]:
    """report-svc running in process on this test's broker prefix and database, with the small directory loaded."""
    settings = make_settings(ReportSettings, gauge_refresh_seconds=0.2, stats_refresh_seconds=0.2, snapshot_interval_days=0)
    app = create_app(settings)
    feed = Feed(broker.bootstrap, topic_prefix, settings.keys_dir)
    await feed.start()
    try:
        async with running(app) as client:
            h = Harness(app=app, client=client, feed=feed, issuer=issuer_from_settings(settings), directory=Directory())
            await h.publish_all(list(h.directory.events()))
            yield h
    finally:
        await feed.producer.stop()


@dataclass
class Scenario:
    """One published plan with six tasks in various states (see `scenario`)."""

    plan_id: str
    item1: str
    item2: str
    k_count: str
    k_rate: str
    tasks: dict[str, TaskRef]


def batch(plan_id: str, item_id: str | None, parent: TaskRef | None, refs: list[TaskRef], due: dict[str, date] | None = None,
          at: datetime = T0, title: str = "任务", reason: str = "published") -> TasksAssigned:
    """A tasks.assigned batch of these tasks (due dates by task id)."""
    return TasksAssigned(plan_id=plan_id, item_id=item_id, parent_id=parent.id if parent else None, title=title, reason=reason, at=at,  # type: ignore[arg-type]
                         tasks=[r.assigned((due or {}).get(r.id)) for r in refs])


def plan_event(plan_id: str, items: list[PlanItemSnapshot], *, version: int = 1, title: str = "明州市教育局2026年工作要点") -> PlanPublished:
    """A plan.published event."""
    return PlanPublished(plan_id=plan_id, version=version, title=title, year=2026, published_by="admin", published_at=T0, items=items)


@pytest.fixture
async def scenario(report: Harness) -> Scenario:
    """Plan with two items; tasks arrive in tasks.assigned batches: city (overdue, assigned), D1 (acknowledged),
    D2 (completed, past due), a D1 school in progress and overdue, a D1 school assigned, a D2 school withdrawn.
    Indicator values: D2 reports count 10 then 12 and rate 80; the D1 school count 5 and rate 95; the withdrawn school count 100."""
    d = report.directory
    plan_id, item1, item2, k_count, k_rate = (str(uuid.uuid4()) for _ in range(5))
    items = [
        PlanItemSnapshot(id=item1, position=0, section_number="一", number="1", title="扩大优质学前教育资源", indicators=[
            IndicatorSnapshot(id=k_count, name="新建幼儿园", comparator=">=", target=30, unit="所"),
            IndicatorSnapshot(id=k_rate, name="普惠性幼儿园覆盖率", comparator=">=", target=90, unit="%"),
        ]),
        PlanItemSnapshot(id=item2, position=1, section_number="一", number="2", title="推进义务教育优质均衡"),
    ]
    city = report.task(plan_id, "city", d.dept, d.city, item1)
    t = {
        "city": city,
        "d1": report.task(plan_id, "district", d.d1, d.dept, item1, city.id),
        "d2": report.task(plan_id, "district", d.d2, d.dept, item1, city.id),
    }
    t["s1a"] = report.task(plan_id, "school", d.s1a, d.d1, item1, t["d1"].id)
    t["s1b"] = report.task(plan_id, "school", d.s1b, d.d1, item1, t["d1"].id)
    t["s2a"] = report.task(plan_id, "school", d.s2a, d.d2, item1, t["d2"].id)
    at = report.at
    due = {t[name].id: when for name, when in {"city": PAST, "d1": FUTURE, "d2": PAST, "s1a": PAST, "s1b": FUTURE, "s2a": PAST}.items()}
    events: list[IntegrationEvent] = [plan_event(plan_id, items)]
    events += [
        batch(plan_id, item1, None, [t["city"]], due, at(1)), batch(plan_id, item1, t["city"], [t["d1"], t["d2"]], due, at(1)),
        batch(plan_id, item1, t["d1"], [t["s1a"], t["s1b"]], due, at(1)), batch(plan_id, item1, t["d2"], [t["s2a"]], due, at(1)),
    ]
    events += [
        t["d1"].event(TaskAcknowledged, "acknowledged", at(2)),
        t["d2"].event(TaskAcknowledged, "acknowledged", at(2)),
        t["d2"].event(TaskProgressReported, "in_progress", at(3), percent=50, indicator_values=[{"indicator_id": k_count, "value": 10}, {"indicator_id": k_rate, "value": 80}]),
        t["d2"].event(TaskProgressReported, "in_progress", at(4), percent=100, indicator_values=[{"indicator_id": k_count, "value": "12"}]),
        t["d2"].event(TaskSubmitted, "submitted", at(5), summary="已完成"),
        t["d2"].event(TaskApproved, "completed", at(6)),
        t["s1a"].event(TaskAcknowledged, "acknowledged", at(2)),
        t["s1a"].event(TaskProgressReported, "in_progress", at(3), percent=30, indicator_values=[{"indicator_id": k_count, "value": 5}, {"indicator_id": k_rate, "value": 95.0}]),
        t["s2a"].event(TaskProgressReported, "in_progress", at(3), percent=10, indicator_values=[{"indicator_id": k_count, "value": 100}]),
        t["s2a"].event(TaskWithdrawn, "withdrawn", at(4), reason="事项已撤销"),
    ]
    await report.publish_all(events)
    return Scenario(plan_id=plan_id, item1=item1, item2=item2, k_count=k_count, k_rate=k_rate, tasks=t)
