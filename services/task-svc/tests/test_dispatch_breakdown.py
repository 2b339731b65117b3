"""A published plan is broken down to the schools: exact counts per level, the tree, batches and plan.dispatched."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from dispatch_helpers import envelopes, item, published, query, task_stack

from duban_shared.events.catalogue import PlanDispatched, TasksAssigned
from task_svc.tasks.bulk import MAX_EVENT_BYTES, split_by_size


async def test_kindergarten_item_reaches_every_kindergarten(make_settings, db_factory, broker, topic_prefix) -> None:
    async with task_stack(make_settings, db_factory, broker, topic_prefix, breakdown_chunk_tasks=300) as s:
        city = await s.unit("city")
        jjc = await s.unit("d-jjc")
        dyc = await s.unit("d-dyc")
        districts = await s.units(kind="district")
        kgs = await s.units(kind="school", school_type="kindergarten")
        universities = await s.units(kind="school", school_type="university")
        assert len(districts) == 12 and len(kgs) == 745 and len(universities) == 8
        a = item(1, "落实全面从严治党", lead="机关党委")
        b = item(2, "扩大优质学前教育资源", deadline=date(2026, 9, 30), school_types=["kindergarten", "university"])
        b.lead_unit_ids = [jjc["id"]]
        b.supporting_units = ["德育与体卫艺处"]
        c = item(3, "无对象的条目", city=False)
        plan = published([a, b, c])
        await s.pub.publish([plan])
        done = await s.dispatched(plan.plan_id)

        tasks = await s.tasks(plan_id=plan.plan_id)
        levels = Counter((t["item_id"], t["level"]) for t in tasks)
        assert levels == {(a.id, "city"): 1, (b.id, "city"): 1, (b.id, "district"): 12, (b.id, "school"): 745 + 8}
        by_id = {t["id"]: t for t in tasks}
        city_b = next(t for t in tasks if t["item_id"] == b.id and t["level"] == "city")
        assert city_b["unit_id"] == jjc["id"] and city_b["issuer_unit_id"] == city["id"] and city_b["due_date"] == "2026-09-30"
        for t in tasks:
            if t["item_id"] != b.id or t["level"] == "city":
                continue
            parent = by_id[t["parent_id"]]
            assert t["due_date"] <= parent["due_date"]
            if t["level"] == "district":
                assert parent["id"] == city_b["id"] and t["issuer_unit_id"] == jjc["id"]
            elif parent["level"] == "district":  # a district's own school: issued by that district
                assert t["issuer_unit_id"] == parent["unit_id"]
            else:  # a city-run university hangs under the city task, issued by the lead department
                assert parent["id"] == city_b["id"] and t["issuer_unit_id"] == jjc["id"]
        school_parents = {by_id[t["parent_id"]]["unit_id"] for t in tasks if t["level"] == "school"}
        assert school_parents == {d["id"] for d in districts} | {jjc["id"]}
        roots = query(s.url, "SELECT DISTINCT root_id FROM tasks WHERE item_id = :i", i=b.id)
        assert [r[0] for r in roots] == [city_b["id"]]
        assert query(s.url, "SELECT unit_id FROM task_co_owners WHERE task_id = :t", t=city_b["id"])[0][0] == dyc["id"]
        entries = query(s.url, "SELECT count(*) FROM task_entries e JOIN tasks t ON t.id = e.task_id WHERE t.plan_id = :p", p=plan.plan_id)
        assert entries[0][0] == len(tasks)

        # The batches: one per parent task (split by size), with every new task exactly once.
        batches = [TasksAssigned.model_validate(e["payload"]) for e in envelopes(s.url, "tasks.assigned")]
        assert sorted(t.task_id for bt in batches for t in bt.tasks) == sorted(by_id)
        assert len({(bt.item_id, bt.parent_id, bt.batch) for bt in batches}) == len(batches) == done["batches"]
        assert len({(bt.item_id, bt.parent_id) for bt in batches}) == 2 + 1 + 12
        assert all(len(json.dumps(e).encode()) <= MAX_EVENT_BYTES for e in envelopes(s.url, "tasks.assigned"))
        assert envelopes(s.url, "task.created") == []
        d = PlanDispatched.model_validate(done)
        assert d.tasks == len(tasks) and sum(u.count for u in d.units) == len(tasks)
        assert {u.unit_id: u.count for u in d.units}[jjc["id"]] == 1
        assert any("无对象的条目" in w for w in d.warnings)

        # A kindergarten's account sees exactly its own task.
        kg = kgs[17]
        mine = await s.tasks(headers=await s.login(kg["code"]))
        assert [(t["unit_id"], t["item_id"]) for t in mine] == [(kg["id"], b.id)]
        # Its district sees its own task and what it issued: its kindergartens.
        district = next(x for x in districts if x["id"] == kg["parent_id"])
        seen = await s.tasks(headers=await s.login(district["code"]), plan_id=plan.plan_id)
        assert len(seen) == 1 + sum(1 for k in kgs if k["parent_id"] == district["id"])

        # The plan event delivered again changes nothing.
        await s.pub.publish([plan])
        await s.pub.publish([published([a], plan_id=plan.plan_id)])
        assert len(await s.tasks(plan_id=plan.plan_id)) == len(tasks)
        assert len(envelopes(s.url, "plan.dispatched")) == 1


def test_batches_split_under_the_size_limit() -> None:
    """A parent with many children is carried in several events, each under the limit."""
    from datetime import UTC, datetime

    from duban_shared.events.catalogue import AssignedTask

    rows = [AssignedTask(task_id=f"{i:036d}", unit_id=f"{i:036d}", level="school", parent_id="p" * 36, issuer_unit_id="d" * 36,
                         due_date=date(2026, 12, 31)) for i in range(3000)]
    base = TasksAssigned(plan_id="p", plan_version=1, item_id="i", parent_id="p" * 36, title="标题" * 100, at=datetime.now(UTC), tasks=[])
    limit = 64 * 1024
    parts = split_by_size(base, rows, "tasks", limit)
    assert len(parts) > 10 and sum(len(p) for p in parts) == len(rows)
    assert [t.task_id for p in parts for t in p] == [t.task_id for t in rows]
    for p in parts:
        assert len(base.model_copy(update={"tasks": p}).model_dump_json().encode()) + 1024 <= limit
    full = split_by_size(base, rows, "tasks")
    assert 2 < len(full) < 6 and all(len(base.model_copy(update={"tasks": p}).model_dump_json().encode()) < MAX_EVENT_BYTES for p in full)


async def test_an_item_that_keeps_failing_is_skipped_with_a_warning(make_settings, db_factory, broker, topic_prefix, monkeypatch) -> None:
    """A poison item does not hold the plan back: it is tried alone a few times, then passed over with a warning."""
    from task_svc.dispatch import jobs

    real = jobs.reconcile_item
    good, bad = item(1, "正常条目"), item(2, "出错条目")

    async def failing(**kw):  # type: ignore[no-untyped-def]
        if kw["item_id"] == bad.id:
            raise RuntimeError("injected")
        return await real(**kw)

    monkeypatch.setattr(jobs, "reconcile_item", failing)
    async with task_stack(make_settings, db_factory, broker, topic_prefix) as s:
        plan = published([bad, good])
        await s.pub.publish([plan])
        done = await s.dispatched(plan.plan_id)
        assert [t["item_id"] for t in await s.tasks(plan_id=plan.plan_id)] == [good.id]
        assert any("出错条目" in w and "跳过" in w for w in done["warnings"])
