"""The live stream: Server-Sent Events over a real socket, resumable, fed only by committed work."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.exc import IntegrityError

from duban_shared.events.catalogue import TaskApproved, TaskCreated, TaskReminded
from duban_shared.testing.services import bearer, eventually, running
from duban_shared.uow import UnitOfWork
from notify_svc.notifications import service
from notify_svc.notifications.hub import stage
from notify_svc.notifications.models import Notification

STREAM = "/api/notifications/stream"


async def test_new_notifications_arrive_on_the_stream_of_their_unit(app, writer, token, kit) -> None:
    """A unit's open stream gets its notification live, with heartbeats; another unit's does not."""
    async with kit.serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client, \
            client.stream("GET", STREAM, params={"access_token": token(kit.DISTRICT)}) as district, \
            client.stream("GET", STREAM, headers=bearer(token(kit.DEPT))) as dept, \
            client.stream("GET", STREAM, headers=bearer(token(None, roles=("admin",)))) as admin:
        assert district.status_code == 200 and district.headers["content-type"].startswith("text/event-stream")
        d, p, a = (kit.SseReader(r.aiter_lines()) for r in (district, dept, admin))
        for reader in (d, p, a):
            assert (await reader.next_event())["event"] == "ready"
        await a.next_ping()  # an account without a unit just gets heartbeats

        await writer.send(kit.task_event(TaskCreated, "t-1", title="新建幼儿园30所", due_date=kit.due(2026, 10, 31)))
        n = await d.next_notification()
        assert n["kind"] == "task_assigned" and n["title"] == "新任务：新建幼儿园30所" and n["_sse_id"] == n["id"]
        assert n["task_id"] == "t-1" and n["read_at"] is None

        # Had the district's notification leaked to the department, it would come first here.
        await writer.send(kit.task_event(TaskCreated, "t-2", unit_id=kit.DEPT.id, issuer_unit_id=kit.CITY.id, title="处室任务"))
        m = await p.next_notification()
        assert m["kind"] == "task_assigned" and m["task_id"] == "t-2"
        await d.next_ping()


async def test_a_stream_resumes_after_last_event_id(app, writer, token, kit) -> None:
    """Reconnecting with Last-Event-ID replays what was missed, in order, then goes on live."""
    tok = token(kit.DISTRICT)
    async with kit.serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        async with client.stream("GET", STREAM, headers=bearer(tok)) as r:
            s = kit.SseReader(r.aiter_lines())
            assert (await s.next_event())["event"] == "ready"
            await writer.send(kit.task_event(TaskCreated, "t-1", title="校园安全专项检查"))
            first = await s.next_notification()
        hub = app.state.ctx.extras["hub"]

        async def unsubscribed() -> bool:
            return hub.subscribers(kit.DISTRICT.id) == 0

        await eventually(unsubscribed, what="the closed stream to leave the hub")

        # While disconnected: two more for the same task (one partition, so in this order).
        await writer.send(kit.task_event(TaskReminded, "t-1", message="请尽快报送"))
        await writer.send(kit.task_event(TaskApproved, "t-1", status="completed"))
        await kit.wait_for_count(client, tok, 3)

        async with client.stream("GET", STREAM, headers={**bearer(tok), "Last-Event-ID": first["id"]}) as r:
            s = kit.SseReader(r.aiter_lines())
            ready = await s.next_event()
            assert ready["event"] == "ready" and ready["retry"] == "3000"
            assert [(await s.next_notification())["kind"] for _ in range(2)] == ["task_reminded", "task_approved"]
            await writer.send(kit.task_event(TaskCreated, "t-2", title="第二项任务"))
            live = await s.next_notification()
            assert live["task_id"] == "t-2"

        # An id the unit does not own replays nothing: the first event after ready is the next live one.
        other = token(kit.DEPT)
        async with client.stream("GET", STREAM, headers={**bearer(other), "Last-Event-ID": first["id"]}) as r:
            s = kit.SseReader(r.aiter_lines())
            assert (await s.next_event())["event"] == "ready"
            await writer.send(kit.task_event(TaskCreated, "t-3", unit_id=kit.DEPT.id, issuer_unit_id=kit.CITY.id, title="处室任务"))
            assert (await s.next_notification())["task_id"] == "t-3"


async def test_only_committed_notifications_are_streamed_and_counted(app, kit) -> None:
    """Staged notifications of a rolled-back or failed transaction never reach a stream or the counter."""
    unit = kit.DISTRICT.id
    async with running(app) as client:
        ctx = app.state.ctx
        hub = ctx.extras["hub"]
        with hub.subscribe(unit) as sub:
            async with ctx.db.sessionmaker() as s:
                await service.add_notification(uow=UnitOfWork(s, ctx.outbox, ctx=ctx), event_id="e-rolled-back", unit_id=unit, kind="task_reminded", title="回滚", body="")
                await s.rollback()
                await s.commit()  # a later commit of the same session must not carry the rolled-back one
            assert sub.queue.empty()

            async with ctx.db.sessionmaker() as s:
                kept = await service.add_notification(uow=UnitOfWork(s, ctx.outbox, ctx=ctx), event_id="e-kept", unit_id=unit, kind="task_reminded", title="保留", body="")
                await s.commit()
            assert kept is not None and sub.queue.get_nowait().id == kept.id

            # Same (event_id, unit_id) under another id: the commit fails on the unique constraint.
            async with ctx.db.sessionmaker() as s:
                dup = Notification(id="n-dup", unit_id=unit, kind="task_reminded", title="重复", event_id="e-kept")
                s.add(dup)
                stage(s, dup)
                with pytest.raises(IntegrityError):
                    await s.commit()
                await s.rollback()
            assert sub.queue.empty()

            async with ctx.db.sessionmaker() as s:
                assert await service.add_notification(uow=UnitOfWork(s, ctx.outbox, ctx=ctx), event_id="e-kept", unit_id=unit, kind="task_reminded", title="再次", body="") is None
                await s.commit()
            assert sub.queue.empty()
        assert hub.subscribers(unit) == 0
        metrics = (await client.get("/metrics")).text
    assert 'duban_notify_notifications_total{kind="task_reminded"} 1.0' in metrics
