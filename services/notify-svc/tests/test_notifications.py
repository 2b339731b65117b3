"""Task events on the real broker become notifications; the API shows each unit only its own."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from duban_shared.events.catalogue import (
    TaskAcknowledged,
    TaskApproved,
    TaskCreated,
    TaskDeclined,
    TaskDueChanged,
    TaskReminded,
    TaskReturned,
    TaskSubmitted,
    UnitUpserted,
)
from duban_shared.testing.services import bearer, eventually, running
from notify_svc.notifications.models import Notification
from notify_svc.units.models import Unit


async def test_every_task_event_notifies_the_right_unit(app, writer, token, kit) -> None:
    """Each notifying task event makes one notification, worded in Chinese, for its recipient."""
    city_task, district_task = "t-city-1", "t-dist-1"
    ev = kit.task_event
    async with running(app) as client:
        await kit.load_directory(app, writer)
        await writer.send(ev(TaskCreated, city_task, unit_id=kit.DEPT.id, issuer_unit_id=kit.CITY.id,
                             title="扩大优质学前教育资源", due_date=kit.due(2026, 12, 31)))
        await writer.send(ev(TaskCreated, district_task, title="新建幼儿园30所", due_date=kit.due(2026, 10, 31)))
        await writer.send(ev(TaskAcknowledged, district_task, status="acknowledged"))
        await writer.send(ev(TaskReminded, district_task, message="请于本周内报送进展"))
        await writer.send(ev(TaskSubmitted, district_task, status="submitted", summary="已开工12所"))
        await writer.send(ev(TaskReturned, district_task, status="returned", reason="佐证材料不全"))
        await writer.send(ev(TaskApproved, district_task, status="completed"))
        await writer.send(ev(TaskDueChanged, city_task, unit_id=kit.DEPT.id, issuer_unit_id=kit.CITY.id,
                             title="扩大普惠性学前教育资源", due_date=kit.due(2026, 11, 30)))
        await writer.send(ev(TaskDeclined, city_task, unit_id=kit.DEPT.id, issuer_unit_id=kit.CITY.id,
                             status="declined", reason="该项由学前教育处牵头"))
        # Submitted with no issuing unit has nobody to tell.
        await writer.send(ev(TaskSubmitted, "t-orphan", issuer_unit_id=None, status="submitted"))

        district = {n["kind"]: n for n in await kit.wait_for_count(client, token(kit.DISTRICT), 4)}
        dept = {n["kind"]: n for n in await kit.wait_for_count(client, token(kit.DEPT), 3)}
        city = {n["kind"]: n for n in await kit.wait_for_count(client, token(kit.CITY), 1)}

    assert set(district) == {"task_assigned", "task_reminded", "task_returned", "task_approved"}
    assert set(dept) == {"task_assigned", "task_submitted", "task_updated"}
    # 拒收 tells the issuer, who decides whether to reassign or withdraw.
    assert set(city) == {"task_declined"}

    assigned = district["task_assigned"]
    assert assigned["title"] == "新任务：新建幼儿园30所"
    assert "基础教育处" in assigned["body"] and "2026年10月31日" in assigned["body"]
    assert assigned["created_at"].endswith(("Z", "+00:00"))
    assert assigned["task_id"] == district_task and assigned["plan_id"] == "p-2026" and assigned["read_at"] is None
    assert set(assigned) == {"id", "kind", "title", "body", "task_id", "plan_id", "created_at", "read_at", "urgent", "repeat_count"}
    assert district["task_reminded"]["title"] == "催办：新建幼儿园30所"
    assert "请于本周内报送进展" in district["task_reminded"]["body"]
    assert "佐证材料不全" in district["task_returned"]["body"]
    assert district["task_approved"]["title"] == "任务已办结：新建幼儿园30所"
    assert dept["task_submitted"]["task_id"] == district_task
    assert "东城区教育局" in dept["task_submitted"]["body"] and "已开工12所" in dept["task_submitted"]["body"]
    assert dept["task_assigned"]["title"] == "新任务：扩大优质学前教育资源" and "明州市教育局" in dept["task_assigned"]["body"]
    assert dept["task_updated"]["title"] == "任务变更：扩大普惠性学前教育资源"
    assert "2026年11月30日" in dept["task_updated"]["body"]
    declined = city["task_declined"]
    assert declined["title"] == "任务被拒收：扩大普惠性学前教育资源" and "基础教育处" in declined["body"]
    assert "该项由学前教育处牵头" in declined["body"] and declined["task_id"] == city_task


async def test_a_redelivered_event_notifies_once(app, writer, token, kit) -> None:
    """The same event id delivered again, even past a lost inbox, never makes a second notification."""
    ev = kit.task_event
    async with running(app) as client:
        created = await writer.send(ev(TaskCreated, "t-1", title="校园安全专项检查"))
        await writer.resend(created)
        await writer.send(ev(TaskReminded, "t-1"))  # same task, same partition: read after both copies
        await kit.wait_for_count(client, token(kit.DISTRICT), 2)
        assert len(await kit.stored(app, created.id)) == 1

        # Second guard: with the inbox forgotten, the redelivery reaches the handler and still adds nothing.
        async with app.state.ctx.db.engine.begin() as conn:
            await conn.execute(sa.delete(app.state.ctx.tables.inbox))
        await writer.resend(created)
        await writer.send(ev(TaskApproved, "t-1", status="completed"))
        items = await kit.wait_for_count(client, token(kit.DISTRICT), 3)
        metrics = (await client.get("/metrics")).text

    # The redelivery was recognised, not dead-lettered on the unique constraint.
    assert "duban_notify_events_failed_total{" not in metrics
    assert Counter(i["kind"] for i in items) == {"task_assigned": 1, "task_reminded": 1, "task_approved": 1}
    assert len(await kit.stored(app, created.id)) == 1


async def test_one_event_one_notification_per_unit_is_a_database_rule(app, kit) -> None:
    """The unique (event_id, unit_id) constraint is in the migrated schema on every backend."""
    async with running(app):
        async with app.state.ctx.db.sessionmaker() as s:
            s.add(Notification(id="n-1", unit_id=kit.DISTRICT.id, kind="task_assigned", title="a", event_id="e-1"))
            await s.commit()
        async with app.state.ctx.db.sessionmaker() as s:
            s.add(Notification(id="n-2", unit_id=kit.DISTRICT.id, kind="task_assigned", title="a", event_id="e-1"))
            with pytest.raises(IntegrityError):
                await s.commit()
        async with app.state.ctx.db.sessionmaker() as s:
            s.add(Notification(id="n-3", unit_id=kit.DEPT.id, kind="task_submitted", title="b", event_id="e-1"))
            await s.commit()


async def test_reading_and_visibility(app, writer, token, kit) -> None:
    """Unread filter, read (idempotent), read-all, paging; others' notifications are 404; no token is 401."""
    ev = kit.task_event
    district, dept, admin = token(kit.DISTRICT), token(kit.DEPT), token(None, roles=("admin",))
    async with running(app) as client:
        for i in range(3):
            await writer.send(ev(TaskCreated, f"t-{i}", title=f"任务{i}"))
        await writer.send(ev(TaskCreated, "t-dept", unit_id=kit.DEPT.id, issuer_unit_id=kit.CITY.id, title="处室任务"))
        mine = await kit.wait_for_count(client, district, 3)
        theirs = await kit.wait_for_count(client, dept, 1)

        page = await kit.notifications(client, district)
        assert (page["total"], page["unread"]) == (3, 3)
        first = mine[0]
        r = await client.post(f"/api/notifications/{first['id']}/read", headers=bearer(district))
        assert r.status_code == 200 and r.json()["read_at"] is not None
        again = await client.post(f"/api/notifications/{first['id']}/read", headers=bearer(district))
        assert again.status_code == 200 and again.json()["read_at"] == r.json()["read_at"]

        unread = await kit.notifications(client, district, unread="true")
        assert (unread["total"], unread["unread"]) == (2, 2) and first["id"] not in {i["id"] for i in unread["items"]}
        assert (await kit.notifications(client, district))["total"] == 3
        assert (await kit.notifications(client, district, unread=""))["total"] == 3
        assert (await kit.notifications(client, district, unread="false"))["total"] == 3
        paged = await kit.notifications(client, district, limit=1, offset=1)
        assert len(paged["items"]) == 1 and paged["items"][0]["id"] == mine[1]["id"] and paged["total"] == 3

        r = await client.post(f"/api/notifications/{theirs[0]['id']}/read", headers=bearer(district))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        assert (await client.post("/api/notifications/no-such-id/read", headers=bearer(district))).status_code == 404
        assert (await client.post(f"/api/notifications/{first['id']}/read", headers=bearer(admin))).status_code == 404
        assert (await kit.notifications(client, admin)) == {"items": [], "total": 0, "unread": 0}
        r = await client.post("/api/notifications/read-all", headers=bearer(admin))
        assert r.status_code == 200 and r.json() == {"updated": 0}

        r = await client.post("/api/notifications/read-all", headers=bearer(district))
        assert r.status_code == 200 and r.json() == {"updated": 2}
        assert (await kit.notifications(client, district))["unread"] == 0
        assert (await kit.notifications(client, dept))["unread"] == 1  # another unit's stay unread

        r = await client.get("/api/notifications", params={"limit": 0}, headers=bearer(district))
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
        for method, path in (("GET", "/api/notifications"), ("POST", f"/api/notifications/{first['id']}/read"),
                             ("POST", "/api/notifications/read-all"), ("GET", "/api/notifications/stream")):
            r = await client.request(method, path)
            assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized", (method, path)
        r = await client.get("/api/notifications", headers=bearer("not-a-token"))
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
        # The query-string token is for EventSource only.
        assert (await client.get("/api/notifications", params={"access_token": district})).status_code == 401

        metrics = (await client.get("/metrics")).text
    assert 'duban_notify_notifications_total{kind="task_assigned"} 4.0' in metrics


async def test_directory_copy_follows_unit_events(app, writer, kit) -> None:
    """unit.upserted creates and then overwrites the local copy (renames, deactivation)."""
    async with running(app):
        await kit.load_directory(app, writer)
        await writer.send(UnitUpserted(id=kit.DISTRICT.id, code=kit.DISTRICT.code, name="东城区教育体育局", kind="district",
                                       parent_id=kit.CITY.id, active=False, enrolment=52000, email="dc@example.edu.cn",
                                       leader_name="王局长", leader_email="wang@example.edu.cn"))

        async def renamed() -> Unit | None:
            async with app.state.ctx.db.sessionmaker() as s:
                u = await s.get(Unit, kit.DISTRICT.id)
                return u if u is not None and u.name == "东城区教育体育局" else None

        unit = await eventually(renamed, what="the renamed unit")
    assert unit.active is False and unit.parent_id == kit.CITY.id and unit.kind == "district"
    assert (unit.enrolment, unit.email, unit.leader_name, unit.leader_email) == (52000, "dc@example.edu.cn", "王局长", "wang@example.edu.cn")


async def test_unknown_event_types_go_to_the_dead_letter_topic(app, writer, token, kit, broker, topic_prefix) -> None:
    """An event type the catalogue does not know is dead-lettered with its reason; the next event is handled."""
    from duban_shared.events import Envelope
    from duban_shared.testing.signing import signed_headers
    from duban_shared.testing.topics import read_envelopes

    async with running(app) as client:
        # Genuine (owner, signed) but of a type nobody registered: dead-lettered as unknown_type.
        stranger = Envelope(type="task.teleported", version=1, source="task-svc", key="t-1", payload={"task_id": "t-1"})
        producer = await writer.bus.require()
        topic = writer.bus.topic("task")
        await producer.send_and_wait(topic, stranger.to_bytes(), key=b"t-1",
                                     headers=signed_headers(writer.keys_dir, writer.bus.prefix, topic, stranger))
        await writer.send(kit.task_event(TaskReminded, "t-1", title="后续事件"))
        await kit.wait_for_count(client, token(kit.DISTRICT), 1)
        dead = await read_envelopes(broker.bootstrap, f"{topic_prefix}.dlq", count=1, types={"task.teleported"})
        metrics = (await client.get("/metrics")).text
    assert [d.id for d in dead] == [stranger.id]
    assert 'reason="unknown_type"' in metrics
