"""The whole workflow over HTTP: acknowledge, report with a value and a file, submit, return, resubmit, approve, remind, extend."""

from __future__ import annotations

import io
import json
from datetime import date

import docx

from duban_shared.clock import clock


def _docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("佐证材料：新建幼儿园 3 所")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _err(r, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["message"]
    if code:
        assert err["code"] == code, err
    return err  # type: ignore[no-any-return]


async def test_school_reports_and_district_returns_then_approves(org) -> None:  # type: ignore[no-untyped-def]
    """签收 → 填报 (value + file) → 提交 → 退回 → 再提交 → 验收通过, every step on the timeline and in the outbox."""
    t = "t-x1"
    # Approving a task that was never submitted: 409 with a reason.
    _err(await org.call("dist-x", "POST", f"/api/tasks/{t}/approve"), 409, "illegal_transition")
    _err(await org.call("school-x1", "POST", f"/api/tasks/{t}/progress", json={"percent": 10}), 409)  # not acknowledged yet
    r = await org.call("school-x1", "POST", f"/api/tasks/{t}/acknowledge")
    assert r.status_code == 200 and r.json()["status"] == "acknowledged", r.text
    r = await org.call("school-x1", "POST", f"/api/tasks/{t}/acknowledge")
    assert r.status_code == 200 and [e["action"] for e in r.json()["timeline"]] == ["acknowledged"]  # idempotent

    r = await org.client.post(f"/api/tasks/{t}/evidence", headers=org.h("school-x1"),
                              files={"file": ("佐证.docx", _docx(), "application/octet-stream")})
    assert r.status_code == 201, r.text
    file = r.json()
    assert file["content_type"].endswith("wordprocessingml.document") and file["name"] == "佐证.docx"
    body = {"percent": 60, "note": "已建成 3 所", "evidence_ids": [file["id"]],
            "indicator_values": [{"indicator_id": "ind-count", "value": 3}, {"indicator_id": "ind-rate", "numerator": 45, "denominator": 50}]}
    r = await org.call("school-x1", "POST", f"/api/tasks/{t}/progress", json=body)
    assert r.status_code == 201, r.text
    task = r.json()
    assert task["status"] == "in_progress" and task["percent"] == 60
    assert task["latest_report"]["indicator_values"][1] == {"indicator_id": "ind-rate", "value": 90.0, "numerator": 45.0, "denominator": 50.0}
    assert task["timeline"][-1]["attachments"] == [file["id"]] and task["timeline"][-1]["actor_unit_id"] == org.units["school-x1"]
    # The same file cannot back two reports; a second report is kept next to the first.
    _err(await org.call("school-x1", "POST", f"/api/tasks/{t}/progress", json={**body, "percent": 70}), 422, "evidence_used")
    r = await org.call("school-x1", "POST", f"/api/tasks/{t}/progress", json={"percent": 80, "indicator_values": [{"indicator_id": "ind-count", "value": 4}]})
    assert r.status_code == 201 and r.json()["latest_report"]["percent"] == 80
    r = await org.call("school-x1", "GET", f"/api/tasks/{t}/reports")
    assert [x["percent"] for x in r.json()] == [80, 60]

    r = await org.call("school-x1", "POST", f"/api/tasks/{t}/submit", json={"summary": "完成"})
    assert r.json()["status"] == "submitted"
    _err(await org.call("school-x1", "POST", f"/api/tasks/{t}/approve"), 403)  # not the issuer
    _err(await org.call("dept-lead", "POST", f"/api/tasks/{t}/approve"), 403)  # above, but not the issuing level
    _err(await org.call("dist-x", "POST", f"/api/tasks/{t}/return", json={}), 422)  # a reason is required
    r = await org.call("dist-x", "POST", f"/api/tasks/{t}/return", json={"reason": "缺少验收照片"})
    assert r.status_code == 200 and r.json()["status"] == "returned" and r.json()["return_reason"] == "缺少验收照片"
    r = await org.call("school-x1", "GET", f"/api/tasks/{t}")
    assert r.json()["return_reason"] == "缺少验收照片" and r.json()["timeline"][-1]["reason"] == "缺少验收照片"
    r = await org.call("school-x1", "POST", f"/api/tasks/{t}/submit", json={"summary": "已补充照片"})
    assert r.json()["status"] == "submitted" and r.json()["return_reason"] is None
    r = await org.call("dist-x", "POST", f"/api/tasks/{t}/approve")
    assert r.status_code == 200 and r.json()["status"] == "completed" and r.json()["percent"] == 100
    _err(await org.call("dist-x", "POST", f"/api/tasks/{t}/return", json={"reason": "再看看"}), 409)

    steps = [(e["action"], e["from_status"], e["to_status"]) for e in r.json()["timeline"]]
    assert steps == [("acknowledged", "assigned", "acknowledged"), ("evidence_uploaded", "acknowledged", "acknowledged"),
                     ("progress_reported", "acknowledged", "in_progress"), ("progress_reported", "in_progress", "in_progress"),
                     ("submitted", "in_progress", "submitted"), ("returned", "submitted", "returned"),
                     ("submitted", "returned", "submitted"), ("approved", "submitted", "completed")]
    assert all(e["actor"] and e["actor_unit_id"] and e["at"] for e in r.json()["timeline"])
    assert await org.outbox_types() == ["task.acknowledged", "task.progress_reported", "task.progress_reported", "task.submitted",
                                        "task.returned", "task.submitted", "task.approved"]

    # The district's own task rolls its schools up.
    r = await org.call("dist-x", "GET", "/api/tasks/t-x")
    roll = r.json()["rollup"]
    assert roll["children"] == 2 and roll["by_status"] == {"completed": 1, "assigned": 1}
    assert {i["indicator_id"]: i["value"] for i in roll["indicators"]} == {"ind-count": 4.0}


async def test_rollup_aggregates_counts_and_rates(org) -> None:  # type: ignore[no-untyped-def]
    """Sum for counts, Σnumerator/Σdenominator for rates, across a district's schools."""
    for school, t, vals in (("school-x1", "t-x1", (3, 45, 50)), ("school-x2", "t-x2", (2, 10, 30))):
        assert (await org.call(school, "POST", f"/api/tasks/{t}/acknowledge")).status_code == 200
        r = await org.call(school, "POST", f"/api/tasks/{t}/progress", json={"percent": 50, "indicator_values": [
            {"indicator_id": "n", "value": vals[0]}, {"indicator_id": "r", "numerator": vals[1], "denominator": vals[2]}]})
        assert r.status_code == 201, r.text
    roll = (await org.call("dist-x", "GET", "/api/tasks/t-x")).json()["rollup"]
    got = {i["indicator_id"]: i for i in roll["indicators"]}
    assert got["n"]["value"] == 5 and got["n"]["reports"] == 2
    assert (got["r"]["numerator"], got["r"]["denominator"], got["r"]["value"]) == (55, 80, 68.75)
    assert roll["by_status"] == {"in_progress": 2}


async def test_bulk_remind_extension_and_daily_cap(org) -> None:  # type: ignore[no-untyped-def]
    """A district reminds its unacknowledged schools in one call; the cap stops a fourth reminder; an extension moves dates."""
    assert (await org.call("school-x2", "POST", "/api/tasks/t-x2/acknowledge")).status_code == 200
    r = await org.call("dist-x", "POST", "/api/tasks/remind", json={"parent_id": "t-x", "filter": "unacknowledged", "message": "请尽快签收"})
    assert r.status_code == 202 and r.json() == {"reminded": 1, "skipped": 0, "not_allowed": 0}, r.text
    tl = (await org.call("school-x1", "GET", "/api/tasks/t-x1")).json()["timeline"]
    assert tl[-1]["action"] == "reminded" and tl[-1]["note"] == "请尽快签收"
    for _ in range(2):
        assert (await org.call("dist-x", "POST", "/api/tasks/t-x1/remind", json={"message": "催"})).status_code == 200
    _err(await org.call("dist-x", "POST", "/api/tasks/t-x1/remind"), 429, "remind_limit")
    r = await org.call("dist-x", "POST", "/api/tasks/remind", json={"parent_id": "t-x", "filter": "unacknowledged"})
    assert r.json() == {"reminded": 0, "skipped": 1, "not_allowed": 0}
    # The lead department may remind across its plan; a school may remind nothing.
    r = await org.call("dept-lead", "POST", "/api/tasks/remind", json={"plan_id": "plan-1", "filter": "unacknowledged"})
    assert r.status_code == 202 and r.json()["reminded"] == 4, r.text  # t-city is its own: it cannot remind itself
    _err(await org.call("school-y1", "POST", "/api/tasks/remind", json={"plan_id": "plan-1", "filter": "unacknowledged"}), 403)
    _err(await org.call("dist-x", "POST", "/api/tasks/remind", json={"filter": "unacknowledged"}), 422)
    assert (await org.outbox_types()).count("task.reminded") == 1 + 2 + 4

    clock.freeze(clock.now().replace(year=2026, month=11, day=30))
    try:
        _err(await org.call("school-x2", "POST", "/api/tasks/t-x2/extension", json={"due_date": "2026-12-01", "reason": "x"}), 422)
        r = await org.call("school-x2", "POST", "/api/tasks/t-x2/extension", json={"due_date": "2027-01-15", "reason": "设备到货延迟"})
        assert r.status_code == 201 and r.json()["pending_extension"]["requested_due"] == "2027-01-15", r.text
        _err(await org.call("school-x2", "POST", "/api/tasks/t-x2/extension", json={"due_date": "2027-01-20", "reason": "x"}), 409)
        _err(await org.call("school-x2", "POST", "/api/tasks/t-x2/extension/decide", json={"approve": True}), 403)
        r = await org.call("dist-x", "POST", "/api/tasks/t-x2/extension/decide", json={"approve": True, "note": "同意"})
        assert r.status_code == 200 and r.json()["due_date"] == "2027-01-15" and r.json()["pending_extension"] is None
        _err(await org.call("dist-x", "POST", "/api/tasks/t-x2/extension/decide", json={"approve": True}), 409, "no_extension_pending")
        # The district's own extension carries its schools that shared the old date.
        assert (await org.call("dist-x", "POST", "/api/tasks/t-x/acknowledge")).status_code == 200
        r = await org.call("dist-x", "POST", "/api/tasks/t-x/extension", json={"due_date": "2027-02-01", "reason": "全区统筹"})
        assert r.status_code == 201
        r = await org.call("dept-lead", "POST", "/api/tasks/t-x/extension/decide", json={"approve": True})
        assert r.json()["due_date"] == "2027-02-01"
        dues = {t: (await org.call("dist-x", "GET", f"/api/tasks/{t}")).json()["due_date"] for t in ("t-x1", "t-x2")}
        assert dues == {"t-x1": "2027-02-01", "t-x2": "2027-02-01"}
        tl = (await org.call("school-x1", "GET", "/api/tasks/t-x1")).json()["timeline"]
        assert tl[-1]["action"] == "due_changed"
    finally:
        clock.unfreeze()
    types = await org.outbox_types()
    assert types.count("task.extension_requested") == 2 and types.count("task.extension_decided") == 2 and types.count("task.updated") == 2


async def test_decline_reassign_and_withdraw(org) -> None:  # type: ignore[no-untyped-def]
    """拒收 → 改派 makes a new task in a batch of one; 撤回 ends a task; neither is allowed from the wrong state."""
    _err(await org.call("dist-x", "POST", "/api/tasks/t-x1/reassign", json={"unit_id": org.units["school-x2"], "reason": "x"}), 409)
    r = await org.call("school-x1", "POST", "/api/tasks/t-x1/decline", json={"reason": "不属于本校职责"})
    assert r.json()["status"] == "declined"
    _err(await org.call("dist-x", "POST", "/api/tasks/t-x1/reassign", json={"unit_id": org.units["school-y1"], "reason": "x"}), 422, "unit_out_of_scope")
    _err(await org.call("dist-x", "POST", "/api/tasks/t-x1/reassign", json={"unit_id": org.units["school-x2"], "reason": "x"}), 409, "already_assigned")
    _err(await org.call("dist-x", "POST", "/api/tasks/t-x1/reassign", json={"unit_id": "nope", "reason": "x"}), 404)
    r = await org.call("dist-y", "POST", "/api/tasks/t-y1/decline", json={"reason": "x"})
    assert r.status_code == 403  # a district cannot decline its school's task
    assert (await org.call("dist-x", "POST", "/api/tasks/t-x2/withdraw", json={"reason": "合并到区级任务"})).json()["status"] == "withdrawn"
    r = await org.call("dist-x", "POST", "/api/tasks/t-x1/reassign", json={"unit_id": org.units["school-x2"], "reason": "改由二校承办"})
    assert r.status_code == 200, r.text
    old = r.json()
    assert old["status"] == "reassigned" and old["reassigned_to"]
    new = (await org.call("school-x2", "GET", f"/api/tasks/{old['reassigned_to']}")).json()
    assert (new["status"], new["unit_id"], new["parent_id"], new["issuer_unit_id"], new["origin"]) == (
        "assigned", org.units["school-x2"], "t-x", org.units["dist-x"], "reassigned")
    _err(await org.call("school-x1", "GET", f"/api/tasks/{new['id']}"), 404)
    types = await org.outbox_types()
    assert types == ["task.declined", "task.withdrawn", "tasks.assigned", "task.reassigned"]
    ctx = org.app.state.ctx
    async with ctx.db.engine.connect() as conn:
        import sqlalchemy as sa
        env = json.loads((await conn.execute(sa.select(ctx.tables.outbox.c.envelope).where(ctx.tables.outbox.c.type == "tasks.assigned"))).scalar())
    assert env["payload"]["reason"] == "reassigned" and [t["task_id"] for t in env["payload"]["tasks"]] == [new["id"]]
    roll = (await org.call("dist-x", "GET", "/api/tasks/t-x")).json()["rollup"]
    assert roll["children"] == 1 and roll["by_status"] == {"reassigned": 1, "withdrawn": 1, "assigned": 1}
    assert date.fromisoformat(new["due_date"]) == org.tasks["t-x1"].due_date


async def test_bulk_remind_reaches_every_level_below_the_parent(org) -> None:  # type: ignore[no-untyped-def]
    """Under the city task the lead department reaches districts and their schools; overdue picks only red ones."""
    r = await org.call("dept-lead", "POST", "/api/tasks/remind", json={"parent_id": "t-city", "filter": "unacknowledged", "message": "请签收"})
    assert r.json() == {"reminded": 6, "skipped": 0, "not_allowed": 0}, r.text
    reminded = {e["key"] for e in await _outbox(org) if e["type"] == "task.reminded"}
    assert reminded == {"t-x", "t-y", "t-cs", "t-x1", "t-x2", "t-y1"}
    r = await org.call("dist-y", "POST", "/api/tasks/remind", json={"parent_id": "t-y", "filter": "overdue"})
    assert r.json() == {"reminded": 0, "skipped": 0, "not_allowed": 0}
    async with org.app.state.ctx.db.engine.begin() as conn:
        import sqlalchemy as sa
        await conn.execute(sa.text("UPDATE tasks SET warning = 'red' WHERE id = 't-y1'"))
    r = await org.call("dist-y", "POST", "/api/tasks/remind", json={"parent_id": "t-y", "filter": "overdue"})
    assert r.json() == {"reminded": 1, "skipped": 0, "not_allowed": 0}


async def _outbox(org) -> list[dict]:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa
    ctx = org.app.state.ctx
    async with ctx.db.engine.connect() as conn:
        rows = (await conn.execute(sa.select(ctx.tables.outbox.c.type, ctx.tables.outbox.c.key).order_by(ctx.tables.outbox.c.seq))).all()
    return [{"type": t, "key": k} for t, k in rows]
