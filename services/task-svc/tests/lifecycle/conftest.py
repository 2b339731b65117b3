"""A small org and task tree written straight into task-svc's database, with tokens for each unit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from duban_shared.auth import Principal
from duban_shared.testing.services import bearer, running
from task_svc.config import TaskSettings
from task_svc.directory.models import Unit
from task_svc.main import create_app
from task_svc.tasks.models import Task, TaskCoOwner

PLAN = "plan-1"
DUE = date(2026, 12, 31)
# code: (kind, parent code)
UNITS = {
    "city": ("city", None), "dept-lead": ("department", "city"), "dept-other": ("department", "city"),
    "dist-x": ("district", "city"), "dist-y": ("district", "city"),
    "school-x1": ("school", "dist-x"), "school-x2": ("school", "dist-x"), "school-y1": ("school", "dist-y"),
    "school-city": ("school", "city"),
}
ROLES = {"city": ("city", "plan_admin"), "department": ("department",), "district": ("district",), "school": ("school",)}


@dataclass
class Org:
    """Ids of units and tasks, and a client with a token per unit."""

    client: httpx.AsyncClient
    app: Any
    units: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def h(self, who: str) -> dict[str, str]:
        """Authorization header for a unit code."""
        return bearer(self.tokens[who])

    async def call(self, who: str, method: str, path: str, **kw: Any) -> httpx.Response:
        """One request as that unit."""
        return await self.client.request(method, path, headers=self.h(who), **kw)

    async def outbox_types(self) -> list[str]:
        """Event types staged so far, oldest first."""
        ctx = self.app.state.ctx
        async with ctx.db.engine.connect() as conn:
            rows = (await conn.execute(sa.select(ctx.tables.outbox.c.type).order_by(ctx.tables.outbox.c.seq))).all()
        return [r[0] for r in rows]

    async def scalar(self, sql: str, **params: Any) -> Any:
        """One value from the database."""
        async with self.app.state.ctx.db.engine.connect() as conn:
            return (await conn.execute(sa.text(sql), params)).scalar()


def _task(tid: str, unit: str, level: str, issuer: str, parent: str | None, root: str, item: str = "item-1", due: date = DUE) -> Task:
    return Task(id=tid, plan_id=PLAN, item_id=item, parent_id=parent, root_id=root, level=level, unit_id=unit, issuer_unit_id=issuer,
                title=f"任务 {tid}", body="", due_date=due)


async def seed(app: Any) -> tuple[dict[str, str], dict[str, Task]]:
    """Write units and two task trees: item-1 led by dept-lead (dept-other supports), item-2 led by dept-other."""
    u = {code: f"u-{code}" for code in UNITS}
    tasks = [
        _task("t-city", u["dept-lead"], "city", u["city"], None, "t-city"),
        _task("t-x", u["dist-x"], "district", u["dept-lead"], "t-city", "t-city"),
        _task("t-y", u["dist-y"], "district", u["dept-lead"], "t-city", "t-city"),
        _task("t-x1", u["school-x1"], "school", u["dist-x"], "t-x", "t-city"),
        _task("t-x2", u["school-x2"], "school", u["dist-x"], "t-x", "t-city"),
        _task("t-y1", u["school-y1"], "school", u["dist-y"], "t-y", "t-city"),
        _task("t-cs", u["school-city"], "school", u["dept-lead"], "t-city", "t-city"),
        _task("t2-city", u["dept-other"], "city", u["city"], None, "t2-city", item="item-2"),
        _task("t2-y", u["dist-y"], "district", u["dept-other"], "t2-city", "t2-city", item="item-2"),
    ]
    async with app.state.ctx.db.sessionmaker() as s:
        for code, (kind, parent) in UNITS.items():
            s.add(Unit(id=u[code], code=code, name=f"单位{code}", kind=kind, parent_id=u[parent] if parent else None))
        s.add_all(tasks)
        s.add(TaskCoOwner(task_id="t-city", unit_id=u["dept-other"]))
        await s.commit()
    return u, {t.id: t for t in tasks}


@asynccontextmanager
async def lifecycle_app(make_settings: Callable[..., Any], *, seeded: bool = True, **overrides: Any) -> AsyncIterator[Org]:
    """task-svc with the seeded org; messaging and the background scheduler off unless asked for."""
    values: dict[str, Any] = {"messaging_enabled": False, "deadline_scheduler": False}
    values.update(overrides)
    app = create_app(make_settings(TaskSettings, **values))
    async with running(app) as client:
        if seeded:
            units, tasks = await seed(app)
        else:
            units, tasks = {code: f"u-{code}" for code in UNITS}, {}
        org = Org(client=client, app=app, units=units, tasks=tasks)
        for code, (kind, _) in UNITS.items():
            org.tokens[code] = app.state.issuer.issue(Principal(username=f"user-{code}", unit_id=units[code], unit_kind=kind,
                                                                roles=ROLES[kind], display_name=f"{code} 经办人"))
        yield org


@pytest.fixture
async def org(make_settings: Callable[..., Any]) -> AsyncIterator[Org]:
    """task-svc on this test's database, seeded."""
    async with lifecycle_app(make_settings) as o:
        yield o
