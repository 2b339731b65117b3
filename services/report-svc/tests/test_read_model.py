"""The read models stay right under redelivery, stale events, plan revisions and directory changes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from duban_shared.events.catalogue import (
    IndicatorSnapshot,
    ItemChange,
    PlanItemSnapshot,
    PlanPublished,
    PlanRevised,
    TaskAcknowledged,
    TaskApproved,
    TaskCreated,
    TaskDueChanged,
    TaskProgressReported,
    UnitUpserted,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _plan(plan_id: str, items: list[PlanItemSnapshot], version: int = 1, title: str = "年度计划") -> PlanPublished:
    return PlanPublished(plan_id=plan_id, version=version, title=title, year=2026, published_by="admin", published_at=T0, items=items)


def _item(item_id: str, position: int, title: str, *indicators: IndicatorSnapshot) -> PlanItemSnapshot:
    return PlanItemSnapshot(id=item_id, position=position, number=str(position + 1), title=title, indicators=list(indicators))


async def _summary(report, plan_id: str, headers=None) -> dict:  # type: ignore[no-untyped-def]
    r = await report.get(f"/api/reports/plans/{plan_id}/summary", headers)
    assert r.status_code == 200, r.text
    return r.json()


async def _indicators(report, plan_id: str, headers=None) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    r = await report.get(f"/api/reports/plans/{plan_id}/indicators", headers)
    assert r.status_code == 200, r.text
    return {i["id"]: i for i in r.json()["indicators"]}


async def test_redelivered_events_are_not_counted_twice(report) -> None:
    """The same envelopes delivered again, and the same facts re-sent under new ids, change no count."""
    d = report.directory
    plan_id, item, k = (str(uuid.uuid4()) for _ in range(3))
    t = report.task(plan_id, "district", d.d1, d.dept, item)
    events = [
        _plan(plan_id, [_item(item, 0, "事项", IndicatorSnapshot(id=k, name="培训教师", target=100, unit="人次"))]),
        t.event(TaskCreated, "assigned", report.at(1), due_date=date(2020, 1, 1)),
        t.event(TaskAcknowledged, "acknowledged", report.at(2)),
        t.event(TaskProgressReported, "in_progress", report.at(3), percent=40, indicator_values=[{"indicator_id": k, "value": 7}]),
    ]
    envs = await report.publish_all(events)
    before = await _summary(report, plan_id)
    for env, event in zip(envs, events, strict=True):
        await report.feed.send(env, event.TOPIC)
    for event in events[1:]:  # a replay that minted new envelope ids
        await report.feed.publish(event)
    seen = await report.settle()
    assert sum(v for (_, outcome), v in seen.items() if outcome == "duplicate") == len(envs)
    after = await _summary(report, plan_id)
    before.pop("computed_at"), after.pop("computed_at")  # the replay under new ids does trigger a recompute, to the same figures
    assert after == before
    assert (after["totals"]["tasks"], after["totals"]["acknowledged"], after["totals"]["overdue"]) == (1, 1, 1)
    ind = (await _indicators(report, plan_id))[k]
    assert (ind["actual"], ind["reporting_units"], ind["aggregation"]) == (7.0, 1, "sum")


async def test_stale_events_are_ignored(report) -> None:
    """An event older than what a task already shows changes neither its status nor its indicator values."""
    d = report.directory
    plan_id, item, k = (str(uuid.uuid4()) for _ in range(3))
    t = report.task(plan_id, "school", d.s1a, d.d1, item)
    await report.publish_all([
        _plan(plan_id, [_item(item, 0, "事项", IndicatorSnapshot(id=k, name="覆盖率", target=90, unit="%"))]),
        t.event(TaskCreated, "assigned", report.at(1), due_date=date(2099, 1, 1)),
        t.event(TaskApproved, "completed", report.at(5)),
    ])
    await report.publish_all([
        t.event(TaskProgressReported, "in_progress", report.at(3), percent=60, indicator_values=[{"indicator_id": k, "value": 99}]),
        t.event(TaskAcknowledged, "acknowledged", report.at(2)),
    ])
    s = await _summary(report, plan_id)
    assert (s["totals"]["tasks"], s["totals"]["completed"], s["totals"]["completion_rate"]) == (1, 1, 1.0)
    ind = (await _indicators(report, plan_id))[k]
    assert (ind["actual"], ind["reporting_units"]) == (None, 0)
    # A newer change does apply: the deadline moves into the past, yet a completed task is never overdue.
    await report.publish_all([t.event(TaskDueChanged, "completed", report.at(6), title="改后的任务", due_date=date(2020, 1, 1))])
    s = await _summary(report, plan_id)
    assert (s["totals"]["completed"], s["totals"]["overdue"]) == (1, 0)


async def test_plan_revision_replaces_items_and_indicators(report) -> None:
    """plan.revised adds, changes and removes items; an older version arriving late is ignored."""
    plan_id, a, b, c, ka, kb, kc = (str(uuid.uuid4()) for _ in range(7))
    v1 = _plan(plan_id, [
        _item(a, 0, "事项甲", IndicatorSnapshot(id=ka, name="新建学校", target=10, unit="所")),
        _item(b, 1, "事项乙", IndicatorSnapshot(id=kb, name="撤并学校", target=3, unit="所")),
    ])
    v2 = PlanRevised(plan_id=plan_id, version=2, previous_version=1, title="年度计划（修订）", year=2026, published_by="admin", published_at=T0, changes=[
        ItemChange(item_id=a, change="changed", fields=["indicators"], item=_item(a, 0, "事项甲", IndicatorSnapshot(id=ka, name="新建学校", comparator=">=", target=12, unit="所"))),
        ItemChange(item_id=b, change="removed"),
        ItemChange(item_id=c, change="added", item=_item(c, 1, "事项丙", IndicatorSnapshot(id=kc, name="优质均衡率", comparator=">=", target=80, unit="%"))),
    ])
    await report.publish_all([v1, v2, _plan(plan_id, v1.items, version=1, title="旧标题")])
    r = await report.get(f"/api/reports/plans/{plan_id}/indicators")
    body = r.json()
    assert body["title"] == "年度计划（修订）"
    assert [(i["id"], i["item_title"], i["target"], i["kind"]) for i in body["indicators"]] == [(ka, "事项甲", 12.0, "count"), (kc, "事项丙", 80.0, "rate")]
    plans = (await report.get("/api/reports/plans")).json()["items"]
    assert [(p["id"], p["version"], p["tasks"]) for p in plans] == [(plan_id, 2, 0)]


async def test_directory_changes_and_units_not_yet_known(report) -> None:
    """A renamed district shows its new name; a school the directory does not know yet counts under the issuing district."""
    d = report.directory
    plan_id = str(uuid.uuid4())
    own = report.task(plan_id, "district", d.d2, d.dept)
    stranger = report.task(plan_id, "school", "school-not-yet-known", d.d2)
    await report.publish_all([
        UnitUpserted(id=d.d2, code="D02", name="江北区教育局（新）", kind="district", parent_id=d.city),
        own.event(TaskCreated, "assigned", report.at(1)),
        stranger.event(TaskCreated, "assigned", report.at(1)),
        stranger.event(TaskAcknowledged, "acknowledged", report.at(2)),
    ])
    s = await _summary(report, plan_id)
    assert s["title"] == "" and s["totals"]["tasks"] == 2
    assert [(x["unit_id"], x["name"], x["tasks"], x["acknowledged"]) for x in s["by_district"]] == [(d.d2, "江北区教育局（新）", 2, 1)]
    mine = await _summary(report, plan_id, report.district(d.d2))
    assert mine["totals"]["tasks"] == 2
    assert (await _summary(report, plan_id, report.district(d.d1)))["totals"]["tasks"] == 0
