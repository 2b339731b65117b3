"""Benchmark: a publication's notices — 6,000 new tasks for 1,500 units as batches, then one digest per unit.

Measured: notify-svc's handlers (set-based batch inserts, the digest with its deliveries and live-feed
outbox rows) through a unit of work on SQLite. Raw limit: inserting the same rows (6,000 task refs,
1,500 notices, 1,500 outbox rows) with plain executemany in one transaction.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

UNITS, PER_UNIT, BATCH_UNITS = 1500, 4, 100


async def _measure(path: Path) -> tuple[float, float]:
    import notify_svc.channels.models
    import notify_svc.delivery.models  # noqa: F401
    from duban_shared.db import Database
    from duban_shared.events.catalogue import AssignedTask, PlanDispatched, TasksAssigned, UnitTaskCount
    from duban_shared.messaging import KafkaBus, Outbox
    from duban_shared.metrics import ServiceMetrics
    from duban_shared.uow import UnitOfWork
    from notify_svc.base import TABLES, NotifySvcModel
    from notify_svc.digests import service
    from notify_svc.notifications.hub import NotificationHub
    from notify_svc.notifications.live import LiveFeed

    db = Database(f"sqlite:///{path / 'bench.sqlite3'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(NotifySvcModel.metadata.create_all)
    metrics = ServiceMetrics("notify-bench")
    hub = NotificationHub(metrics)
    feed = LiveFeed(hub=hub, bus=KafkaBus("127.0.0.1:1", client_id="bench"), metrics=metrics)
    outbox = Outbox(TABLES, source="bench", topic_prefix="bench")
    ctx = SimpleNamespace(extras={"live_feed": feed}, settings=None)
    now = datetime.now(UTC)
    units = [f"u-{i}" for i in range(UNITS)]
    batches = [
        TasksAssigned(plan_id="p", title=f"第{k}项工作", at=now, tasks=[
            AssignedTask(task_id=str(uuid.uuid4()), unit_id=u, level="school", issuer_unit_id="u-d", due_date=date(2027, 6, 30))
            for u in units[lo:lo + BATCH_UNITS]])
        for k in range(PER_UNIT) for lo in range(0, UNITS, BATCH_UNITS)
    ]
    done = PlanDispatched(plan_id="p", plan_version=1, title="工作要点", at=now, batches=len(batches), tasks=UNITS * PER_UNIT,
                          units=[UnitTaskCount(unit_id=u, count=PER_UNIT) for u in units])
    t0 = time.perf_counter()
    for b in batches:
        async with db.sessionmaker() as s:
            await service.store_assigned(uow=UnitOfWork(s, outbox, ctx=ctx), event=b, event_id=str(uuid.uuid4()))
            await s.commit()
    async with db.sessionmaker() as s:
        notices = await service.dispatch_digest(uow=UnitOfWork(s, outbox, ctx=ctx), event=done, event_id=str(uuid.uuid4()))
        await s.commit()
    measured = time.perf_counter() - t0
    assert len(notices) == UNITS

    raw_db = Database(f"sqlite:///{path / 'raw.sqlite3'}")
    md = sa.MetaData()
    refs = sa.Table("refs", md, *(sa.Column(c, sa.String) for c in ("task_id", "plan_id", "unit_id", "title")))
    notes = sa.Table("notes", md, *(sa.Column(c, sa.String) for c in ("id", "unit_id", "title", "body")))
    out = sa.Table("out", md, *(sa.Column(c, sa.String) for c in ("id", "topic", "envelope")))
    async with raw_db.engine.begin() as conn:
        await conn.run_sync(md.create_all)
    rows: dict[str, list[dict[str, Any]]] = {
        "refs": [{"task_id": str(uuid.uuid4()), "plan_id": "p", "unit_id": u, "title": "第1项工作"} for u in units for _ in range(PER_UNIT)],
        "notes": [{"id": str(uuid.uuid4()), "unit_id": u, "title": "新任务4项", "body": "x" * 200} for u in units],
        "out": [{"id": str(uuid.uuid4()), "topic": "t", "envelope": "y" * 400} for _ in units],
    }
    t0 = time.perf_counter()
    async with raw_db.engine.begin() as conn:
        for table in (refs, notes, out):
            await conn.execute(sa.insert(table), rows[table.name])
    raw = time.perf_counter() - t0
    await db.dispose()
    await raw_db.dispose()
    return measured, raw


def run() -> list[dict[str, Any]]:
    """One row: the publication's notices against plain inserts of the same rows."""
    with tempfile.TemporaryDirectory() as tmp:
        measured, raw = asyncio.run(_measure(Path(tmp)))
    return [{"name": f"notify: {UNITS * PER_UNIT} tasks → {UNITS} digests (SQLite)", "value": measured, "raw": raw,
             "ratio": measured / raw, "raw_what": "executemany of the same rows in one transaction"}]
