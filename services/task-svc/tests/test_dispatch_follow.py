"""After publication: re-dispatch by a district, revisions at school level, directory changes."""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa
from dispatch_helpers import envelopes, item, published, query, task_stack

from duban_shared.auth import Principal
from duban_shared.errors import AppError
from duban_shared.events import utcnow
from duban_shared.events.catalogue import ItemChange, PlanRevised, TargetsSnapshot, TasksWithdrawn
from duban_shared.uow import UnitOfWork
from task_svc.dispatch.service import withdraw_redispatched


async def test_district_redispatches_to_three_schools(make_settings, db_factory, broker, topic_prefix) -> None:
    async with task_stack(make_settings, db_factory, broker, topic_prefix) as s:
        a = item(1, "开展义务教育质量监测", deadline=date(2026, 10, 31), districts=True)
        plan = published([a])
        await s.pub.publish([plan])
        await s.dispatched(plan.plan_id)
        district = await s.unit("haishu")
        dt = next(t for t in await s.tasks(plan_id=plan.plan_id, level="district") if t["unit_id"] == district["id"])
        primaries = await s.units(kind="school", school_type="primary", parent_id=district["id"])
        other = (await s.units(kind="school", parent_id=(await s.unit("jiangbei"))["id"]))[0]
        h = await s.login("haishu")
        three = [p["id"] for p in primaries[:3]]

        r = await s.client.post(f"/api/tasks/{dt['id']}/dispatch", json={"school_ids": [*three[:2], other["id"]]}, headers=h)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
        r = await s.client.post(f"/api/tasks/{dt['id']}/dispatch", json={"school_ids": three, "due_date": "2026-11-30"}, headers=h)
        assert r.status_code == 422 and r.json()["error"]["code"] == "due_after_parent", r.text
        r = await s.client.post(f"/api/tasks/{dt['id']}/dispatch", json={"school_ids": three, "all": True}, headers=h)
        assert r.status_code == 422, r.text
        r = await s.client.post(f"/api/tasks/{dt['id']}/dispatch", json={"school_ids": three}, headers=await s.login("jiangbei"))
        assert r.status_code in (403, 404), r.text
        assert await s.tasks(plan_id=plan.plan_id, level="school") == []  # nothing half-written

        r = await s.client.post(f"/api/tasks/{dt['id']}/dispatch", json={"school_ids": three, "due_date": "2026-10-15"}, headers=h)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["created"] == 3 and sorted(t["unit_id"] for t in body["items"]) == sorted(three)
        assert {(t["parent_id"], t["issuer_unit_id"], t["due_date"], t["level"]) for t in body["items"]} == {
            (dt["id"], district["id"], "2026-10-15", "school")}
        school_h = await s.login(primaries[0]["code"])
        mine = await s.tasks(headers=school_h)
        assert [t["unit_id"] for t in mine] == [primaries[0]["id"]]
        batch = [e["payload"] for e in envelopes(s.url, "tasks.assigned") if e["payload"]["reason"] == "redispatched"]
        assert len(batch) == 1 and sorted(t["unit_id"] for t in batch[0]["tasks"]) == sorted(three)
        # Again to the same schools: nothing new.
        r = await s.client.post(f"/api/tasks/{dt['id']}/dispatch", json={"school_ids": three}, headers=h)
        assert r.status_code == 201 and r.json()["created"] == 0

        # The district withdraws one while it is open; another district may not.
        ctx = s.app.state.ctx
        jiangbei = await s.unit("jiangbei")
        async with ctx.db.sessionmaker() as session:
            uow = UnitOfWork(session, ctx.outbox)
            stranger = Principal(username="jiangbei", unit_id=jiangbei["id"], unit_kind="district", roles=("district",))
            try:
                await withdraw_redispatched(uow=uow, task_id=body["items"][0]["id"], actor=stranger, reason="x")
                raise AssertionError("another district withdrew the task")
            except AppError as exc:
                assert exc.status in (403, 404)
            me = Principal(username="haishu", unit_id=district["id"], unit_kind="district", roles=("district",))
            t = await withdraw_redispatched(uow=uow, task_id=body["items"][0]["id"], actor=me, reason="学校调整")
            await uow.commit()
            assert t.status == "withdrawn"
        detail = (await s.client.get(f"/api/tasks/{body['items'][0]['id']}", headers=h)).json()
        assert [e["action"] for e in detail["timeline"]] == ["created", "withdrawn"]
        # All schools of one type: the withdrawn one comes back, the rest are new.
        r = await s.client.post(f"/api/tasks/{dt['id']}/dispatch", json={"school_types": ["primary"]}, headers=h)
        assert r.status_code == 201 and r.json()["created"] == len(primaries) - 2

        # A closed district task cannot be re-dispatched.
        async with ctx.db.sessionmaker() as session:
            await session.execute(sa.text("UPDATE tasks SET status = 'completed' WHERE id = :i"), {"i": dt["id"]})
            await session.commit()
        r = await s.client.post(f"/api/tasks/{dt['id']}/dispatch", json={"all": True}, headers=h)
        assert r.status_code == 409 and r.json()["error"]["code"] == "task_closed", r.text


async def test_revision_withdraws_and_adds_school_tasks(make_settings, db_factory, broker, topic_prefix) -> None:
    async with task_stack(make_settings, db_factory, broker, topic_prefix) as s:
        a = item(1, "特殊教育提升", school_types=["special"])
        b = item(2, "高校思政", school_types=["university"])
        plan = published([a, b])
        await s.pub.publish([plan])
        await s.dispatched(plan.plan_id)
        first = await s.tasks(plan_id=plan.plan_id)
        special = await s.units(kind="school", school_type="special")
        with_special = len({u["parent_id"] for u in special})
        # Only districts supervising a targeted school get a district task; universities hang under the city task.
        assert Counter(t["level"] for t in first) == {"city": 2, "district": with_special, "school": 16 + 8}
        changed = a.model_copy(update={"targets": TargetsSnapshot(school_types=["vocational"]), "title": "职业教育提升"})
        rev = PlanRevised(plan_id=plan.plan_id, version=2, previous_version=1, title=plan.title, published_by="admin", published_at=utcnow(),
                          default_deadline=plan.default_deadline, changes=[ItemChange(item_id=a.id, change="changed", item=changed),
                                                                           ItemChange(item_id=b.id, change="removed")])
        await s.pub.publish([rev])
        done = await s.dispatched(plan.plan_id, 2)
        after = await s.tasks(plan_id=plan.plan_id)
        status = Counter((t["item_id"], t["level"], t["status"]) for t in after)
        assert status == {(a.id, "city", "assigned"): 1, (a.id, "district", "assigned"): 12, (a.id, "school", "withdrawn"): 16,
                          (a.id, "school", "assigned"): 35, (b.id, "city", "withdrawn"): 1, (b.id, "school", "withdrawn"): 8}
        assert {t["title"] for t in after if t["item_id"] == a.id and t["status"] == "assigned"} == {"职业教育提升"}
        assert done["tasks"] == 35
        withdrawn = [TasksWithdrawn.model_validate(e["payload"]) for e in envelopes(s.url, "tasks.withdrawn")]
        assert sorted(i for w in withdrawn for i in w.task_ids) == sorted(t["id"] for t in after if t["status"] == "withdrawn")
        assert not [e for e in envelopes(s.url, "task.declined")]


async def test_directory_changes_follow_open_items(make_settings, db_factory, broker, topic_prefix) -> None:
    async with task_stack(make_settings, db_factory, broker, topic_prefix) as s:
        a = item(1, "学前教育普惠", school_types=["kindergarten"])
        plan = published([a])
        await s.pub.publish([plan])
        await s.dispatched(plan.plan_id)
        district = await s.unit("yinzhou")
        kg = (await s.units(kind="school", school_type="kindergarten", parent_id=district["id"]))[0]
        csv = ("单位编码,单位名称,单位类型,上级编码,学校类型,在校生数,电子邮箱,负责人,负责人邮箱,状态\n"
               f"{kg['code']},{kg['name']},学校,yinzhou,幼儿园,,,,,停用\n"
               "yinzhou-k999,鄞州区新城幼儿园,学校,yinzhou,幼儿园,320,xc@yz.example.cn,王园长,wang@yz.example.cn,启用\n"
               "yinzhou-p999,鄞州区新城小学,学校,yinzhou,小学,900,,,,\n").encode()
        r = await s.client.post("/api/directory/import", files={"file": ("units.csv", csv, "text/csv")}, headers=s.admin)
        assert r.status_code == 200, r.text
        assert (r.json()["tasks_withdrawn"], r.json()["tasks_joined"], r.json()["created"]) == (1, 1, 2)
        new = await s.unit("yinzhou-k999")
        assert (new["enrolment"], new["email"], new["leader_name"], new["leader_email"]) == (320, "xc@yz.example.cn", "王园长", "wang@yz.example.cn")
        tasks = {t["unit_id"]: t for t in await s.tasks(plan_id=plan.plan_id, level="school")}
        assert tasks[kg["id"]]["status"] == "withdrawn"
        timeline = (await s.client.get(f"/api/tasks/{tasks[kg['id']]['id']}", headers=s.admin)).json()["timeline"]
        assert timeline[-1]["action"] == "withdrawn" and "停用" in timeline[-1]["note"]
        joined = tasks[new["id"]]
        parent = (await s.client.get(f"/api/tasks/{joined['parent_id']}", headers=s.admin)).json()
        assert (parent["unit_id"], joined["status"], joined["issuer_unit_id"]) == (district["id"], "assigned", district["id"])
        row = query(s.url, "SELECT late_joined, origin FROM tasks WHERE id = :i", i=joined["id"])[0]
        assert bool(row[0]) and row[1] == "late_joined"
        assert [e["payload"]["reason"] for e in envelopes(s.url, "tasks.assigned")][-1] == "late_joined"
        assert len(tasks) == 745 + 1
        events = [e["payload"] for e in envelopes(s.url, "unit.upserted") if e["payload"]["code"] == "yinzhou-k999"]
        assert events[-1]["enrolment"] == 320 and events[-1]["leader_email"] == "wang@yz.example.cn"
        # The same file again changes nothing.
        r = await s.client.post("/api/directory/import", files={"file": ("units.csv", csv, "text/csv")}, headers=s.admin)
        assert (r.json()["tasks_withdrawn"], r.json()["tasks_joined"], r.json()["unchanged"]) == (0, 0, 3)
