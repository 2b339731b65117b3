"""Helpers of the dispatch tests: plan events, direct reads of task-svc's database, a running stack."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import sqlalchemy as sa

from duban_shared.db import sync_url
from duban_shared.events import utcnow
from duban_shared.events.catalogue import PlanItemSnapshot, PlanPublished, TargetsSnapshot
from duban_shared.testing.publisher import Publisher, publishing
from duban_shared.testing.services import bearer, eventually, running
from task_svc.config import TaskSettings
from task_svc.main import create_app


def item(n: int, title: str, *, lead: str = "基础教育处", deadline: date | None = None, **targets: Any) -> PlanItemSnapshot:
    """A plan item snapshot targeting what the keyword arguments say."""
    return PlanItemSnapshot(id=f"item-{n}-{uuid.uuid4().hex[:6]}", position=n, number=str(n), title=title, lead_units=[lead],
                            deadline=deadline, targets=TargetsSnapshot(**targets))


def published(items: list[PlanItemSnapshot], plan_id: str | None = None, default: date = date(2026, 12, 31)) -> PlanPublished:
    """A plan.published event."""
    return PlanPublished(plan_id=plan_id or str(uuid.uuid4()), version=1, title="明州市教育局2026年工作要点", published_by="admin",
                         published_at=utcnow(), default_deadline=default, items=items)


def query(url: str, sql: str, **params: Any) -> list[sa.Row]:
    """Rows of a query on a service database (sync)."""
    eng = sa.create_engine(sync_url(url))
    try:
        with eng.connect() as c:
            return list(c.execute(sa.text(sql), params).all())
    finally:
        eng.dispose()


def envelopes(url: str, event_type: str) -> list[dict[str, Any]]:
    """Envelopes of one type in task-svc's outbox, oldest first."""
    return [json.loads(r[0]) for r in query(url, "SELECT envelope FROM outbox WHERE type = :t ORDER BY seq", t=event_type)]


@dataclass
class Stack:
    """task-svc in process with the demo directory, a publisher of plan events, an admin token."""

    client: httpx.AsyncClient
    pub: Publisher
    url: str
    admin: dict[str, str]
    app: Any

    async def login(self, username: str) -> dict[str, str]:
        """Headers of a unit's account (password demo)."""
        r = await self.client.post("/api/auth/login", json={"username": username, "password": "demo"})
        assert r.status_code == 200, r.text
        return bearer(r.json()["access_token"])

    async def unit(self, code: str) -> dict[str, Any]:
        """A unit of the directory by code."""
        r = await self.client.get("/api/directory/units", params={"q": code, "limit": 50}, headers=self.admin)
        return next(u for u in r.json()["items"] if u["code"] == code)

    async def units(self, **filters: Any) -> list[dict[str, Any]]:
        """Units of the directory."""
        r = await self.client.get("/api/directory/units", params={"limit": 2000, **filters}, headers=self.admin)
        return list(r.json()["items"])

    async def dispatched(self, plan_id: str, version: int = 1) -> dict[str, Any]:
        """Wait for a plan version's plan.dispatched; its payload."""
        async def done() -> dict[str, Any] | None:
            found = [e["payload"] for e in envelopes(self.url, "plan.dispatched")
                     if e["payload"]["plan_id"] == plan_id and e["payload"]["plan_version"] == version]
            return found[0] if found else None
        return await eventually(done, timeout=120, interval=0.2, what=f"plan.dispatched of {plan_id} v{version}")

    async def tasks(self, headers: dict[str, str] | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Every task the caller sees, all pages."""
        out: list[dict[str, Any]] = []
        while True:
            r = await self.client.get("/api/tasks", params={"limit": 500, "offset": len(out), **filters}, headers=headers or self.admin)
            assert r.status_code == 200, r.text
            page = r.json()
            out += page["items"]
            if len(out) >= page["total"] or not page["items"]:
                return out


@asynccontextmanager
async def task_stack(make_settings: Any, db_factory: Any, broker: Any, topic_prefix: str, **overrides: Any) -> AsyncIterator[Stack]:
    """Run task-svc (demo directory) and a plan-event publisher on this test's broker."""
    settings = make_settings(TaskSettings, demo_directory=True, **overrides)
    app = create_app(settings)
    async with publishing(db_factory.new_url("planpub"), broker.bootstrap, topic_prefix) as pub, running(app) as c:
        r = await c.post("/api/auth/login", json={"username": "admin", "password": "demo"})
        yield Stack(c, pub, settings.db_url, bearer(r.json()["access_token"]), app)
