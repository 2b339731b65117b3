"""The revision preview tells the truth: after publishing, task-svc made the tasks it counted and notify-svc sent
each named unit exactly the notice it showed (plan, task and notify services on one broker, demo directory)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.testing.services import bearer, eventually, running_many
from notify_svc.config import NotifySettings
from notify_svc.main import create_app as notify_app
from notify_svc.units.models import Unit as NotifyUnit
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

DRAFT = {"title": "明州市教育局2026年工作要点", "year": 2026, "sections": [{"number": "一", "title": "重点工作", "items": [
    {"number": "1", "title": "深化集团化办学", "lead_units": ["基础教育处"], "deadline": "2026-09-30",
     "targets": {"city": True, "districts": True, "school_types": []}},
    {"number": "2", "title": "开展校园安全隐患排查", "lead_units": ["安全稳定处"], "deadline": "2026-06-30"},
    {"number": "3", "title": "推进融合教育", "lead_units": ["基础教育处"], "targets": {"city": True, "school_types": ["special"]}},
]}]}


async def test_published_revision_matches_its_preview(make_settings) -> None:
    notify_settings = make_settings(NotifySettings)
    apps = {"plan": plan_app(make_settings(PlanSettings)), "task": task_app(make_settings(TaskSettings, demo_directory=True)),
            "notify": notify_app(notify_settings)}
    issuer = issuer_from_settings(notify_settings)
    async with running_many(apps) as c:
        h = bearer((await c["task"].post("/api/auth/login", json={"username": "admin", "password": "demo"})).json()["access_token"])

        async def count(**params: str) -> int:
            return (await c["task"].get("/api/directory/units", params={**params, "limit": 1}, headers=h)).json()["total"]

        kinds = {k: await count(kind=k) for k in ("department", "district", "school")}
        specials = await count(kind="school", school_type="special")
        total = await count()

        async def notify_knows_everyone() -> bool:
            # A digest names its issuer from notify-svc's copy of the directory ("上级单位" until it has it).
            async with apps["notify"].state.ctx.db.sessionmaker() as session:
                return (await session.execute(sa.select(sa.func.count()).select_from(NotifyUnit))).scalar_one() == total

        await eventually(notify_knows_everyone, timeout=60, what="notify-svc to copy the directory")
        plan = (await c["plan"].post("/api/plans", json=DRAFT, headers=h)).json()
        pid, (a, b, d) = plan["id"], plan["sections"][0]["items"]
        await c["plan"].post(f"/api/plans/{pid}/publish", headers=h)

        async def tasks(item_id: str | None = None) -> list[dict[str, Any]]:
            r = await c["task"].get("/api/tasks", params={"plan_id": pid, "limit": 500}, headers=h)
            return [t for t in r.json()["items"] if item_id is None or t["item_id"] == item_id]

        await eventually(lambda: _has(tasks(), 1 + kinds["district"] + 1 + 1 + kinds["district"] + specials), what="version 1's tasks")

        async def preview() -> dict[str, Any] | None:
            p = (await c["plan"].get(f"/api/plans/{pid}/revision-preview", headers=h)).json()
            return p if p["directory"] == {"departments": kinds["department"], "districts": kinds["district"],
                                           "schools": kinds["school"]} else None

        await eventually(preview, timeout=60, what="plan-svc to copy the directory")
        await c["plan"].patch(f"/api/plans/{pid}/items/{a['id']}", headers=h, json={
            "deadline": "2026-10-31", "targets": {"city": True, "districts": True, "school_types": ["special"]}})
        await c["plan"].patch(f"/api/plans/{pid}/items/{b['id']}", json={"title": "开展校园安全隐患全面排查"}, headers=h)
        await c["plan"].delete(f"/api/plans/{pid}/items/{d['id']}", headers=h)
        p = await preview()
        assert p is not None and p["warnings"] == []
        shown = {(i["item_id"], x["action"], x["level"]): x for i in p["items"] for x in i["audiences"]}
        assert sorted(shown) == sorted([
            (a["id"], "assigned", "school"), (a["id"], "updated", "city"), (a["id"], "updated", "district"),
            (b["id"], "updated", "city"),
            (d["id"], "withdrawn", "city"), (d["id"], "withdrawn", "district"), (d["id"], "withdrawn", "school")])
        assert shown[(a["id"], "assigned", "school")]["count"] == specials
        assert shown[(d["id"], "withdrawn", "district")]["count"] == kinds["district"]
        assert (await c["plan"].post(f"/api/plans/{pid}/publish", headers=h)).json()["version"] == 2

        # task-svc made and withdrew what the preview counted.
        new_schools = await eventually(lambda: _has(tasks(a["id"]), 1 + kinds["district"] + specials), what="version 2's tasks")
        assert sum(t["level"] == "school" for t in new_schools) == specials
        gone = [t for t in await tasks(d["id"]) if t["status"] == "withdrawn"]
        assert len(gone) == 1 + kinds["district"] + specials

        # Each named unit got exactly the notice shown for it.
        for audience in shown.values():
            want = audience["notice"]
            tok = bearer(issuer.issue(Principal(username=f"u-{want['unit_id']}", unit_id=want["unit_id"], unit_kind="school",
                                                roles=("staff",))))

            async def told(want: dict[str, str] = want, tok: dict[str, str] = tok) -> bool:
                got = (await c["notify"].get("/api/notifications", params={"limit": 50}, headers=tok)).json()["items"]
                ok = any((n["kind"], n["title"], n["body"]) == (want["kind"], want["title"], want["body"]) for n in got)
                assert ok, (want, [(n["kind"], n["title"], n["body"]) for n in got])
                return ok

            await eventually(told, timeout=30, what=f"{want['unit_name']} to get “{want['title']}”")


async def _has(coro: Any, n: int) -> list[dict[str, Any]] | None:
    items = await coro
    return items if len(items) >= n else None
