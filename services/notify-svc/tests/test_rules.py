"""Merge windows, no-disturb hours and overdue escalation, proven on the controllable clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from duban_shared.clock import SHANGHAI
from duban_shared.events.catalogue import (
    TaskDeadlineApproaching,
    TaskExtensionDecided,
    TaskExtensionRequested,
    TaskOverdue,
    TaskReminded,
    TaskWithdrawn,
    UnitUpserted,
)
from duban_shared.testing.services import bearer, eventually, running
from notify_svc.delivery.models import Delivery
from notify_svc.main import create_app

CHANNELS = "/api/notifications/channels"


@pytest.fixture
def app(delivery_settings):  # type: ignore[no-untyped-def]
    """notify-svc with SMTP configured and a 60-minute reminder merge window (the default)."""
    return create_app(delivery_settings)


def with_contacts(unit: UnitUpserted, email: str, leader: str | None = None) -> UnitUpserted:
    """A unit as the directory announces it with its email (and its leader's)."""
    return UnitUpserted(**{**unit.model_dump(), "email": email, "leader_name": "王局长" if leader else None, "leader_email": leader})


async def email_on(client: httpx.AsyncClient, tok: str, quiet: tuple[str, str] | None = None) -> None:
    """Enable the email channel (the directory's address), with optional no-disturb hours."""
    body = {"channels": [{"kind": "email", "enabled": True}], "quiet_hours": {"start": quiet[0], "end": quiet[1]} if quiet else None}
    r = await client.put(CHANNELS, json=body, headers=bearer(tok))
    assert r.status_code == 200, r.text


async def rows(app) -> list[Delivery]:  # type: ignore[no-untyped-def]
    """Every delivery."""
    async with app.state.ctx.db.sessionmaker() as s:
        return list((await s.exec(select(Delivery))).all())


def mails_to(smtp, address: str) -> list:  # type: ignore[no-untyped-def]
    """Messages the SMTP server accepted for an address."""
    return [m for rcpt, m in smtp.messages if address in rcpt]


async def test_reminders_of_one_task_within_the_window_merge_into_one(app, writer, token, kit, smtp, frozen) -> None:
    """The first reminder goes out at once; the next within 60 minutes folds into it; after the window, a new one."""
    dist = token(kit.DISTRICT)
    async with running(app) as client:
        await kit.load_directory(app, writer)
        await kit.publish_unit(app, writer, with_contacts(kit.DISTRICT, "dcjy@example.edu.cn"))
        await email_on(client, dist)
        await writer.send(kit.task_event(TaskReminded, "t-1", title="课后服务", message="第一次催办"))
        first = (await kit.wait_for_count(client, dist, 1))[0]
        await eventually(lambda: _n(smtp, 1), what="the first reminder's email, at once")

        frozen.advance(timedelta(minutes=10))
        await writer.send(kit.task_event(TaskReminded, "t-1", title="课后服务", message="第二次催办"))
        frozen.advance(timedelta(minutes=40))
        await writer.send(kit.task_event(TaskReminded, "t-1", title="课后服务", message="第三次催办"))
        await writer.send(kit.task_event(TaskReminded, "t-other", title="另一项任务"))  # another task: its own notice

        async def merged() -> dict | None:
            items = (await kit.notifications(client, dist))["items"]
            mine = [i for i in items if i["task_id"] == "t-1"]
            return mine[0] if len(items) == 2 and mine and mine[0]["repeat_count"] == 3 else None

        n = await eventually(merged, what="three reminders in one notice")
        assert n["id"] == first["id"] and n["title"] == "催办：课后服务（第3次）" and "第三次催办" in n["body"]
        await eventually(lambda: _n(smtp, 2), what="the other task's email")

        frozen.advance(timedelta(minutes=11))  # 61 minutes after the first: a new window
        await writer.send(kit.task_event(TaskReminded, "t-1", title="课后服务", message="第四次催办"))
        items = await kit.wait_for_count(client, dist, 3)
        assert items[0]["repeat_count"] == 1 and items[0]["title"] == "催办：课后服务" and items[0]["id"] != first["id"]
        await eventually(lambda: _n(smtp, 3), what="the new window's email")
    subjects = sorted(str(m["Subject"]) for _, m in smtp.messages)
    assert subjects == ["【督办】催办：另一项任务", "【督办】催办：课后服务", "【督办】催办：课后服务"]
    assert len(await rows(app)) == 3  # merged reminders made no deliveries


async def test_no_disturb_hours_hold_email_but_not_the_inbox(app, writer, token, kit, smtp, frozen) -> None:
    """At 23:00 with quiet hours 22:00–07:00, the notice is in the inbox and on the stream; the email waits until 07:00."""
    frozen.freeze(datetime(2026, 11, 30, 23, 0, tzinfo=SHANGHAI))
    dist, dept = token(kit.DISTRICT), token(kit.DEPT)
    async with kit.serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        await kit.load_directory(app, writer)
        await kit.publish_unit(app, writer, with_contacts(kit.DISTRICT, "dcjy@example.edu.cn"))
        await kit.publish_unit(app, writer, with_contacts(kit.DEPT, "jjc@example.edu.cn"))
        await email_on(client, dist, ("22:00", "07:00"))
        await email_on(client, dept)
        async with client.stream("GET", "/api/notifications/stream", headers=bearer(dist)) as r:
            s = kit.SseReader(r.aiter_lines())
            assert (await s.next_event())["event"] == "ready"
            await writer.send(kit.task_event(TaskReminded, "t-1", title="课后服务"))
            live = await s.next_notification()
        assert live["kind"] == "task_reminded"
        # The department has no quiet hours: its email goes at once, so the worker has run past the district's.
        await writer.send(kit.task_event(TaskReminded, "t-2", unit_id=kit.DEPT.id, issuer_unit_id=kit.CITY.id, title="处室任务"))
        await eventually(lambda: _n(smtp, 1), what="the department's email")
        assert mails_to(smtp, "dcjy@example.edu.cn") == []
        held = next(d for d in await rows(app) if d.unit_id == kit.DISTRICT.id)
        morning = datetime(2026, 12, 1, 7, 0, tzinfo=SHANGHAI)
        assert held.status == "pending" and held.held_until == morning and held.next_attempt_at == morning

        frozen.freeze(datetime(2026, 12, 1, 6, 59, tzinfo=SHANGHAI))
        await writer.send(kit.task_event(TaskReminded, "t-3", unit_id=kit.DEPT.id, issuer_unit_id=kit.CITY.id, title="处室任务二"))
        await eventually(lambda: _n(smtp, 2), what="the department's second email")
        assert mails_to(smtp, "dcjy@example.edu.cn") == []
        frozen.freeze(morning)
        await eventually(lambda: _n(smtp, 3), what="the district's email at 07:00")
    assert str(mails_to(smtp, "dcjy@example.edu.cn")[0]["Subject"]) == "【督办】催办：课后服务"


async def test_overdue_escalates_to_the_issuer_and_the_leader_even_in_quiet_hours(app, writer, token, kit, smtp, frozen) -> None:
    """A red task: the unit is told (its email held at night); the issuer and the unit's leader are told at once."""
    frozen.freeze(datetime(2026, 11, 30, 23, 30, tzinfo=SHANGHAI))
    dist, dept = token(kit.DISTRICT), token(kit.DEPT)
    async with running(app) as client:
        await kit.load_directory(app, writer)
        await kit.publish_unit(app, writer, with_contacts(kit.DISTRICT, "dcjy@example.edu.cn", leader="wang@example.edu.cn"))
        await kit.publish_unit(app, writer, with_contacts(kit.DEPT, "jjc@example.edu.cn"))
        await email_on(client, dist, ("22:00", "07:00"))
        await email_on(client, dept, ("22:00", "07:00"))
        await writer.send(kit.task_event(TaskOverdue, "t-1", title="新建幼儿园30所", due_date=kit.due(2026, 11, 28)))

        unit_notice = (await kit.wait_for_count(client, dist, 1))[0]
        issuer_notice = (await kit.wait_for_count(client, dept, 1))[0]
        assert unit_notice["kind"] == "task_overdue" and unit_notice["urgent"] is False
        assert "2026年11月28日" in unit_notice["body"]
        assert issuer_notice["kind"] == "overdue_escalated" and issuer_notice["urgent"] is True
        assert issuer_notice["title"] == "逾期督办：东城区教育局·新建幼儿园30所"

        await eventually(lambda: _n(smtp, 2), what="the leader's and the issuer's emails")
        assert len(mails_to(smtp, "wang@example.edu.cn")) == 1 and len(mails_to(smtp, "jjc@example.edu.cn")) == 1
        assert str(mails_to(smtp, "jjc@example.edu.cn")[0]["Subject"]).startswith("【紧急】【督办】逾期督办")
        assert mails_to(smtp, "dcjy@example.edu.cn") == []  # the unit's own email waits for the morning
        r = await client.get(f"/api/notifications/{unit_notice['id']}/deliveries", headers=bearer(dist))
        by_urgent = {d["urgent"]: d for d in r.json()}
        assert by_urgent[True]["status"] == "sent" and by_urgent[False]["status"] == "pending"
        assert by_urgent[False]["held_until"] is not None


async def test_extensions_deadlines_and_withdrawals_are_told(app, writer, token, kit) -> None:
    """Extension requests reach the issuer; decisions, yellow warnings and withdrawals reach the unit."""
    ev = kit.task_event
    async with running(app) as client:
        await kit.load_directory(app, writer)
        await writer.send(ev(TaskDeadlineApproaching, "t-1", title="课后服务", due_date=kit.due(2026, 12, 5)))
        await writer.send(ev(TaskExtensionRequested, "t-1", request_id="x-1", requested_due=kit.due(2026, 12, 20), reason="施工延误",
                             due_date=kit.due(2026, 12, 5)))
        await writer.send(ev(TaskExtensionDecided, "t-1", request_id="x-1", approved=True, due_date=kit.due(2026, 12, 20)))
        await writer.send(ev(TaskExtensionDecided, "t-2", request_id="x-2", approved=False, reason="不符合条件"))
        await writer.send(ev(TaskWithdrawn, "t-3", status="withdrawn", reason="重复下达"))
        dist = {n["kind"]: n for n in await kit.wait_for_count(client, token(kit.DISTRICT), 4)}
        dept = await kit.wait_for_count(client, token(kit.DEPT), 1)
    assert dist["deadline_approaching"]["title"] == "即将到期：课后服务" and "2026年12月5日" in dist["deadline_approaching"]["body"]
    assert dept[0]["kind"] == "extension_requested" and "2026年12月20日" in dept[0]["body"] and "施工延误" in dept[0]["body"]
    assert dept[0]["title"] == "延期申请：课后服务" and "东城区教育局" in dept[0]["body"]
    assert dist["extension_approved"]["title"] == "延期已批准：课后服务" and "2026年12月20日" in dist["extension_approved"]["body"]
    assert "不符合条件" in dist["extension_refused"]["body"]
    assert "重复下达" in dist["task_withdrawn"]["body"]


async def _n(smtp, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(smtp.messages) == n
