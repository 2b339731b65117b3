"""A plan whose `plan.published` would exceed the event size limit is refused with 422 at publish,
nothing is half-written, and the outbox never holds an event the broker cannot take."""

from __future__ import annotations

import sqlalchemy as sa

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.db import sync_url
from duban_shared.testing.services import bearer, running
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app


def _draft(n: int) -> dict:
    items = [{"number": str(i + 1), "title": f"重点工作{i + 1}", "body": "各区（县、市）教育局负责落实。", "lead_units": ["基础教育处"],
              "targets": {"city": True, "districts": True, "school_types": []}} for i in range(n)]
    return {"title": "超长要点", "year": 2026, "sections": [{"number": "一", "title": "重点工作", "items": items}]}


async def test_an_oversized_plan_is_refused_at_publish_with_422(make_settings) -> None:
    settings = make_settings(PlanSettings, max_event_bytes=200_000)
    app = plan_app(settings)
    admin = issuer_from_settings(settings).issue(Principal(username="admin", unit_id="u-city", unit_kind="city", roles=("admin",)))
    async with running(app) as c:
        plan = (await c.post("/api/plans", json=_draft(6), headers=bearer(admin))).json()
        for item in plan["sections"][0]["items"]:
            r = await c.patch(f"/api/plans/{plan['id']}/items/{item['id']}", json={"body": "落实" * 9_000}, headers=bearer(admin))
            assert r.status_code == 200, r.text
        r = await c.post(f"/api/plans/{plan['id']}/publish", headers=bearer(admin))
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "event_too_large" and "拆分" in err["message"]
        assert (await c.get(f"/api/plans/{plan['id']}", headers=bearer(admin))).json()["status"] == "draft"
    eng = sa.create_engine(sync_url(settings.db_url))
    with eng.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM outbox WHERE type = 'plan.published'")).scalar_one() == 0
    eng.dispose()
