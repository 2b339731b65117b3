"""plan-svc → task-svc → report-svc over the real broker: a published plan and a 签收 show up in the report."""

from __future__ import annotations

from datetime import UTC, datetime

from duban_shared.testing.services import bearer, eventually, running_many
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from report_svc.config import ReportSettings
from report_svc.main import create_app as report_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

DRAFT = {
    "title": "明州市教育局2026年工作要点",
    "issuer": "明州市教育局",
    "year": 2026,
    "sections": [{"number": "一", "title": "推进基础教育优质均衡", "items": [{
        "number": "1", "title": "扩大优质学前教育资源",
        "body": "新建幼儿园30所。", "lead_units": ["基础教育处"], "supporting_units": ["各区县教育局"],
        "deadline": None, "indicators": [{"text": "新建幼儿园30所", "name": "新建幼儿园", "comparator": ">=", "target": 30, "unit": "所"}],
        "targets": {"city": True, "districts": True, "school_types": []},
    }]}],
    "key_tasks": [], "warnings": [],
}


async def test_published_plan_and_acknowledgement_reach_the_report(make_settings) -> None:
    """13 tasks (the lead department and 12 districts) are counted; a district's 签收 is too, in its own scope."""
    apps = {
        "plan": plan_app(make_settings(PlanSettings)),
        "task": task_app(make_settings(TaskSettings, demo_directory=True)),
        "report": report_app(make_settings(ReportSettings)),
    }
    async with running_many(apps) as c:
        admin = bearer((await c["task"].post("/api/auth/login", json={"username": "admin", "password": "demo"})).json()["access_token"])
        plan = (await c["plan"].post("/api/plans", json=DRAFT, headers=admin)).json()
        assert (await c["plan"].post(f"/api/plans/{plan['id']}/publish", headers=admin)).status_code == 202

        async def summary(headers: dict[str, str], tasks: int, acknowledged: int, districts: int) -> dict | None:
            r = await c["report"].get(f"/api/reports/plans/{plan['id']}/summary", headers=headers)
            if r.status_code != 200:
                return None
            s = r.json()
            named = [x for x in s["by_district"] if x["name"] != x["unit_id"]]  # the directory reached report-svc
            ok = (s["totals"]["tasks"], s["totals"]["acknowledged"], len(named), s["title"]) == (tasks, acknowledged, districts, DRAFT["title"])
            return s if ok else None

        s = await eventually(lambda: summary(admin, 13, 0, 12), timeout=90, what="13 tasks and 12 named districts in the report")
        assert (s["by_level"]["city"]["tasks"], s["by_level"]["district"]["tasks"]) == (1, 12)

        district = (await c["task"].get("/api/directory/units", params={"kind": "district", "limit": 1}, headers=admin)).json()["items"][0]
        login = await c["task"].post("/api/auth/login", json={"username": district["code"], "password": "demo"})
        mine = bearer(login.json()["access_token"])
        (task,) = (await c["task"].get("/api/tasks", params={"plan_id": plan["id"]}, headers=mine)).json()["items"]
        assert (await c["task"].post(f"/api/tasks/{task['id']}/acknowledge", headers=mine)).status_code == 200

        await eventually(lambda: summary(admin, 13, 1, 12), timeout=60, what="the acknowledgement counted")
        own = await eventually(lambda: summary(mine, 1, 1, 1), timeout=60, what="the district's own view, named")
        assert own["by_district"][0]["unit_id"] == district["id"] and own["by_district"][0]["name"] == district["name"]
        indicators = (await c["report"].get(f"/api/reports/plans/{plan['id']}/indicators", headers=admin)).json()["indicators"]
        assert [(i["name"], i["target"], i["unit"], i["reporting_units"]) for i in indicators] == [("新建幼儿园", 30.0, "所", 0)]


async def test_check_finds_differences_and_rebuild_repairs_them(make_settings) -> None:
    """`duban reports check` agrees after publication and a 签收; a damaged projection shows up as differences;
    a rebuild travels as reports.rebuild_requested to task-svc, whose tasks.snapshotted parts give the same numbers
    again — and report-svc follows it to 完成 and says what it changed."""
    import sqlalchemy as sa

    from duban.reports import check, describe, request_rebuild, wait_rebuild
    from report_svc.stats.service import mark_dirty
    from report_svc.tasks.models import ReportTask

    report = report_app(make_settings(ReportSettings, snapshot_interval_days=0))
    apps = {"plan": plan_app(make_settings(PlanSettings)), "task": task_app(make_settings(TaskSettings, demo_directory=True)), "report": report}
    async with running_many(apps) as c:
        t = c["task"]
        admin = bearer((await t.post("/api/auth/login", json={"username": "admin", "password": "demo"})).json()["access_token"])
        plan = (await c["plan"].post("/api/plans", json=DRAFT, headers=admin)).json()
        assert (await c["plan"].post(f"/api/plans/{plan['id']}/publish", headers=admin)).status_code == 202
        district = (await t.get("/api/directory/units", params={"kind": "district", "limit": 1}, headers=admin)).json()["items"][0]
        mine = bearer((await t.post("/api/auth/login", json={"username": district["code"], "password": "demo"})).json()["access_token"])

        async def my_task() -> dict | None:
            items = (await t.get("/api/tasks", params={"plan_id": plan["id"]}, headers=mine)).json()["items"]
            return items[0] if items else None

        own = await eventually(my_task, timeout=90, what="the district's task")
        assert (await t.post(f"/api/tasks/{own['id']}/acknowledge", headers=mine)).status_code == 200

        async def agree() -> bool:
            counts = (await c["report"].get(f"/api/reports/plans/{plan['id']}/counts", headers=admin)).json()
            return counts.get("total") == 13 and not await check(task=t, report=c["report"], plan_id=plan["id"], headers=admin)

        await eventually(agree, timeout=90, what="report-svc and task-svc agree")
        async def named_summary() -> dict | None:
            s = (await c["report"].get(f"/api/reports/plans/{plan['id']}/summary", headers=admin)).json()
            return s if all(x["name"] != x["unit_id"] for x in s["by_district"]) and len(s["by_district"]) == 12 else None

        before = await eventually(named_summary, timeout=60, what="every district named")
        assert (before["totals"]["tasks"], before["totals"]["acknowledged"]) == (13, 1)

        async with report.state.ctx.db.sessionmaker() as s:  # the projection is damaged (e.g. a partly restored database)
            await s.exec(sa.delete(ReportTask).where(ReportTask.level == "district"))  # type: ignore[call-overload]
            await s.exec(sa.update(ReportTask).where(ReportTask.level == "city").values(status="completed"))  # type: ignore[call-overload]
            stray = ReportTask(id="stray-task", plan_id=plan["id"], level="school", unit_id="gone-school", status="in_progress",
                               last_event_at=datetime(2020, 1, 1, tzinfo=UTC))
            s.add(stray)
            await mark_dirty(s, [plan["id"]])
            await s.commit()
        diffs = await check(task=t, report=c["report"], plan_id=plan["id"], headers=admin)
        assert sorted((d["level"], d["status"], d["task_svc"], d["report_svc"]) for d in diffs) == sorted(
            [("district", "acknowledged", 1, 0)] + [("district", "assigned", 1, 0)] * 11  # one row per district
            + [("city", "assigned", 1, 0), ("city", "completed", 0, 1), ("school", "in_progress", 0, 1)])

        accepted = await request_rebuild(report=c["report"], plan_id=plan["id"], headers=admin)
        assert (accepted["plan_id"], accepted["status"]) == (plan["id"], "requested")
        seen: list[str] = []
        done = await wait_rebuild(report=c["report"], request_id=accepted["request_id"], headers=admin, timeout=90,
                                  on_progress=lambda st: seen.append(st["status_text"]))
        assert seen[-1] == "完成" and set(seen) <= {"已请求，等待任务服务", "进行中", "完成"}
        assert (done["tasks"], done["parts_received"], done["parts_expected"]) == (13, 1, 1)
        assert (done["added"], done["changed"], done["pruned"]) == (12, 1, 1)
        assert "补回 12 个，更新 1 个，删除 1 个" in describe(done)
        assert not await check(task=t, report=c["report"], plan_id=plan["id"], headers=admin)  # 完成 means the figures agree
        after = (await c["report"].get(f"/api/reports/plans/{plan['id']}/summary", headers=admin)).json()
        for key in ("totals", "by_level", "by_district"):
            assert after[key] == before[key], key

        again = await request_rebuild(report=c["report"], plan_id=plan["id"], headers=admin)  # nothing left to repair
        done = await wait_rebuild(report=c["report"], request_id=again["request_id"], headers=admin, timeout=90)
        assert (done["tasks"], done["added"], done["changed"], done["pruned"]) == (13, 0, 0, 0)
        assert "没有改动" in describe(done)

        school = bearer((await t.post("/api/auth/login", json={"username": district["code"], "password": "demo"})).json()["access_token"])
        assert (await c["report"].post("/api/reports/rebuild", json={}, headers=school)).status_code == 403
        assert (await c["report"].get(f"/api/reports/rebuild/{again['request_id']}", headers=school)).status_code == 403
        missing = await c["report"].get("/api/reports/rebuild/no-such-request", headers=admin)
        assert missing.status_code == 404 and missing.json()["error"]["message"] == "重建请求不存在"
