"""New tasks come in tasks.assigned batches; each unit gets ONE notice per plan version, live, with the plan_id."""

from __future__ import annotations

import httpx

from duban_shared.events import utcnow
from duban_shared.events.catalogue import (
    AssignedTask,
    PlanDispatched,
    TaskReassigned,
    TasksAssigned,
    TasksWithdrawn,
    UnitTaskCount,
    UnitUpserted,
)
from duban_shared.testing.services import bearer, running

STREAM = "/api/notifications/stream"
SCHOOL = UnitUpserted(id="u-s1", code="330201101", name="东城实验小学", kind="school", parent_id="u-dc", school_type="primary")


def batch(plan: str, title: str, tasks: list[tuple[str, str, str | None]], *, version: int = 1, reason: str = "published",
          issuer: str = "u-jjc", level: str = "district", due=None) -> TasksAssigned:
    """A tasks.assigned batch: (task_id, unit_id, parent_id) per task."""
    return TasksAssigned(plan_id=plan, plan_version=version, title=title, reason=reason, at=utcnow(), tasks=[
        AssignedTask(task_id=t, unit_id=u, level=level, parent_id=p, issuer_unit_id=issuer, due_date=due) for t, u, p in tasks])


def dispatched(plan: str, title: str, units: dict[str, int], *, version: int = 1) -> PlanDispatched:
    """The end of a plan version's breakdown."""
    return PlanDispatched(plan_id=plan, plan_version=version, title=title, at=utcnow(), batches=1, tasks=sum(units.values()),
                          units=[UnitTaskCount(unit_id=u, count=n) for u, n in units.items()])


async def test_one_publication_gives_each_unit_one_notice_live(app, writer, token, kit) -> None:
    """Two batches, then plan.dispatched: the district gets one digest listing its three tasks, on its open stream."""
    dist = token(kit.DISTRICT)
    plan = "p-2027"
    async with kit.serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        await kit.load_directory(app, writer)
        async with client.stream("GET", STREAM, headers=bearer(dist)) as r:
            s = kit.SseReader(r.aiter_lines())
            assert (await s.next_event())["event"] == "ready"
            await writer.send(batch(plan, "扩大优质学前教育资源", [("t-1", kit.DISTRICT.id, None), ("t-2", kit.DEPT.id, None)],
                                    due=kit.due(2027, 6, 30)))
            await writer.send(batch(plan, "校园安全专项整治", [("t-3", kit.DISTRICT.id, None), ("t-4", kit.DISTRICT.id, "t-x")],
                                    due=kit.due(2027, 3, 31)))
            await writer.send(dispatched(plan, "2027年教育工作要点", {kit.DISTRICT.id: 3, kit.DEPT.id: 1}))
            digest = await s.next_notification()
        assert digest["kind"] == "tasks_assigned" and digest["plan_id"] == plan and digest["task_id"] is None
        assert digest["title"] == "新任务3项：2027年教育工作要点"
        body = digest["body"]
        assert "基础教育处" in body and body.count("校园安全专项整治") == 2 and "扩大优质学前教育资源" in body
        assert "2027年3月31日" in body and body.index("校园安全") < body.index("扩大优质")  # earliest deadline first

        dept = await kit.wait_for_count(client, token(kit.DEPT), 1)
        assert dept[0]["title"] == "新任务1项：2027年教育工作要点" and dept[0]["task_id"] == "t-2"
        assert (await kit.notifications(client, dist))["total"] == 1

        # A redelivered batch and plan.dispatched, and a revision that gives the district nothing new: still one notice.
        await writer.resend(writer.sent[-3])
        await writer.resend(writer.sent[-2])
        await writer.send(batch(plan, "扩大优质学前教育资源", [("t-5", kit.DEPT.id, None)], version=2, reason="revised"))
        await writer.send(dispatched(plan, "2027年教育工作要点", {kit.DEPT.id: 1}, version=2))
        dept = await kit.wait_for_count(client, token(kit.DEPT), 2)
        assert "t-5" == dept[0]["task_id"] and dept[0]["title"] == "新任务1项：2027年教育工作要点"
        assert (await kit.notifications(client, dist))["total"] == 1
        metrics = (await client.get("/metrics")).text
    assert 'duban_notify_notifications_total{kind="tasks_assigned"} 3.0' in metrics


async def test_a_district_dispatch_and_a_reminder_reach_the_school_live(app, writer, token, kit) -> None:
    """A re-dispatch batch is one action: the school is told at once; the district's reminder follows live."""
    from duban_shared.events.catalogue import TaskReminded

    school = token(SCHOOL)
    async with kit.serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        await kit.load_directory(app, writer)
        await kit.publish_unit(app, writer, SCHOOL)
        async with client.stream("GET", STREAM, headers=bearer(school)) as r:
            s = kit.SseReader(r.aiter_lines())
            assert (await s.next_event())["event"] == "ready"
            await writer.send(batch("p-1", "新建幼儿园30所", [("t-s1", SCHOOL.id, "t-d1")], reason="redispatched",
                                    issuer=kit.DISTRICT.id, level="school", due=kit.due(2027, 5, 1)))
            told = await s.next_notification()
            assert told["kind"] == "tasks_assigned" and told["task_id"] == "t-s1" and "东城区教育局" in told["body"]
            await writer.send(kit.task_event(TaskReminded, "t-s1", unit_id=SCHOOL.id, issuer_unit_id=kit.DISTRICT.id,
                                             level="school", plan_id="p-1", message="请周五前报送"))
            reminder = await s.next_notification()
        assert reminder["kind"] == "task_reminded" and reminder["title"] == "催办：新建幼儿园30所"
        assert "东城区教育局" in reminder["body"] and "请周五前报送" in reminder["body"] and "2027年5月1日" in reminder["body"]
        assert (await kit.notifications(client, school))["total"] == 2


async def test_withdrawals_and_reassignments_are_told_once(app, writer, token, kit) -> None:
    """tasks.withdrawn: one notice per unit; a reassignment tells the new unit once, also when its batch is dispatched."""
    ev = kit.task_event
    async with running(app) as client:
        await kit.load_directory(app, writer)
        await writer.send(batch("p-9", "课后服务全覆盖", [("t-a", kit.DISTRICT.id, None), ("t-b", kit.DISTRICT.id, None),
                                                     ("t-c", kit.DEPT.id, None)]))
        await writer.send(dispatched("p-9", "工作要点", {kit.DISTRICT.id: 2, kit.DEPT.id: 1}))
        await kit.wait_for_count(client, token(kit.DISTRICT), 1)
        await writer.send(TasksWithdrawn(plan_id="p-9", reason="计划修订删除该项", at=utcnow(), task_ids=["t-a", "t-b", "t-c"]))
        dist = await kit.wait_for_count(client, token(kit.DISTRICT), 2)
        assert dist[0]["kind"] == "tasks_withdrawn" and dist[0]["title"] == "任务撤回2项" and "计划修订删除该项" in dist[0]["body"]

        # The department declined t-c; the city reassigns it to the district.
        await writer.send(ev(TaskReassigned, "t-c", unit_id=kit.DEPT.id, issuer_unit_id=kit.CITY.id, status="reassigned",
                             new_task_id="t-c2", new_unit_id=kit.DISTRICT.id, reason="属区县职责"))
        dist = await kit.wait_for_count(client, token(kit.DISTRICT), 3)
        assert dist[0]["kind"] == "task_reassigned" and dist[0]["task_id"] == "t-c2" and "明州市教育局" in dist[0]["body"]
        assert dist[0]["title"] == "新任务（改派）：课后服务全覆盖"
        await writer.send(batch("p-9", "课后服务全覆盖", [("t-c2", kit.DISTRICT.id, None)], reason="reassigned", issuer=kit.CITY.id))
        await writer.send(dispatched("p-9", "工作要点", {kit.DISTRICT.id: 1}, version=2))
        await writer.send(ev(TaskReassigned, "t-zz", status="reassigned", new_task_id="t-zz2", new_unit_id=kit.DEPT.id))
        await kit.wait_for_count(client, token(kit.DEPT), 3)  # sent after the others: all before it were handled
        assert (await kit.notifications(client, token(kit.DISTRICT)))["total"] == 3


async def test_many_units_are_digested_a_few_at_a_time_once_each(app, writer, token, kit, monkeypatch) -> None:
    """Digests are built a chunk of units at a time from plain rows: still one notice per unit, also on redelivery."""
    from sqlalchemy import event

    from notify_svc.digests import service
    from notify_svc.notifications.models import TaskRef

    monkeypatch.setattr(service, "UNITS_PER_CHUNK", 2)  # five units: three chunks
    schools = [UnitUpserted(id=f"u-s{i}", code=f"33020110{i}", name=f"第{i}小学", kind="school", parent_id="u-dc") for i in range(5)]
    loaded: list[str] = []

    def on_load(target: TaskRef, _ctx: object) -> None:
        loaded.append(target.task_id)

    event.listen(TaskRef, "load", on_load)
    try:
        async with running(app) as client:
            await kit.load_directory(app, writer)
            # School i gets i + 1 tasks, the later due ones first in the batch.
            tasks = [(f"t-{i}-{k}", s.id, "t-d") for i, s in enumerate(schools) for k in range(i + 1)]
            dues = {f"t-{i}-{k}": kit.due(2027, 12 - k, 1) for i in range(5) for k in range(i + 1)}
            ev = TasksAssigned(plan_id="p-big", title="课后服务全覆盖", at=utcnow(), tasks=[
                AssignedTask(task_id=t, unit_id=u, level="school", parent_id=p, issuer_unit_id=kit.DISTRICT.id, due_date=dues[t])
                for t, u, p in tasks])
            await writer.send(ev)
            done = await writer.send(dispatched("p-big", "2027年工作要点", {s.id: i + 1 for i, s in enumerate(schools)}))
            for i, s in enumerate(schools):
                [notice] = await kit.wait_for_count(client, token(s), 1)
                assert notice["title"] == f"新任务{i + 1}项：2027年工作要点" and "东城区教育局下达" in notice["body"]
                assert notice["task_id"] == ("t-0-0" if i == 0 else None)
                assert notice["body"].count("课后服务全覆盖") == i + 1
                assert f"2027年{12 - i}月1日" in notice["body"].splitlines()[1]  # earliest deadline first
            await writer.resend(done)
            await writer.send(batch("p-big", "课后服务全覆盖", [("t-late", schools[0].id, "t-d")], version=2, reason="revised"))
            await writer.send(dispatched("p-big", "2027年工作要点", {schools[0].id: 1}, version=2))
            await kit.wait_for_count(client, token(schools[0]), 2)  # sent after the redelivery: it was handled before
            for s in schools[1:]:
                assert (await kit.notifications(client, token(s)))["total"] == 1
    finally:
        event.remove(TaskRef, "load", on_load)
    assert loaded == [], "a digest loaded task refs as ORM objects"
