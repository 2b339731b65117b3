"""GET /api/plans/{id}/revision-preview: the draft against the last published version, the units each change
reaches (from plan-svc's directory copy) and the notices they will get, worded as notify-svc words them."""

from __future__ import annotations

from typing import Any

from duban_shared.events.catalogue import UnitUpserted
from duban_shared.testing.services import eventually

HEADING = "明州市教育局2026年工作要点"
DIRECTORY = [
    UnitUpserted(id="u-city", code="city", name="明州市教育局", kind="city"),
    UnitUpserted(id="u-jjc", code="d-jjc", name="基础教育处", kind="department", parent_id="u-city"),
    UnitUpserted(id="u-aqc", code="d-aqc", name="安全稳定处", kind="department", parent_id="u-city"),
    UnitUpserted(id="u-hs", code="haishu", name="海曙区教育局", kind="district", parent_id="u-city"),
    UnitUpserted(id="u-jb", code="jiangbei", name="江北区教育局", kind="district", parent_id="u-city"),
    UnitUpserted(id="u-hs-p1", code="haishu-p001", name="海曙区第一小学", kind="school", parent_id="u-hs", school_type="primary"),
    UnitUpserted(id="u-hs-p2", code="haishu-p002", name="海曙区第二小学", kind="school", parent_id="u-hs", school_type="primary"),
    UnitUpserted(id="u-hs-k1", code="haishu-k001", name="海曙区第一幼儿园", kind="school", parent_id="u-hs", school_type="kindergarten"),
    # Closed: never counted.
    UnitUpserted(id="u-hs-p3", code="haishu-p003", name="海曙区停办小学", kind="school", parent_id="u-hs", school_type="primary",
                 active=False),
    UnitUpserted(id="u-jb-p1", code="jiangbei-p001", name="江北区第一小学", kind="school", parent_id="u-jb", school_type="primary"),
    UnitUpserted(id="u-city-s1", code="city-s001", name="明州市第一中学", kind="school", parent_id="u-city", school_type="senior"),
]
DRAFT = {
    "title": HEADING, "issuer": "明州市教育局", "year": 2026,
    "sections": [
        {"number": "一", "title": "推进优质均衡", "items": [
            {"number": "1", "title": "深化集团化办学", "lead_units": ["基础教育处"], "lead_unit_ids": ["u-jjc"], "deadline": "2026-09-30",
             "targets": {"city": True, "districts": True}},
            {"number": "2", "title": "开展校园安全隐患排查", "lead_units": ["安全稳定处"], "lead_unit_ids": ["u-aqc"], "deadline": "2026-06-30"},
        ]},
        {"number": "二", "title": "办好人民满意教育", "items": [
            {"number": "3", "title": "扩大学前资源", "lead_units": ["基础教育处"], "lead_unit_ids": ["u-jjc"],
             "targets": {"city": True, "school_types": ["kindergarten"]}},
            {"number": "4", "title": "提升教师培训", "lead_units": ["基础教育处"], "lead_unit_ids": ["u-jjc"], "deadline": "2026-11-30",
             "indicators": [{"name": "培训", "comparator": ">=", "target": 3000, "unit": "人次"}]},
        ]},
    ],
}
ZERO = {"city": 0, "district": 0, "school": 0}


IDS = {u.name: u.id for u in DIRECTORY}


def audience(action: str, level: str, units: list[str], unit_name: str, kind: str, title: str, body: str) -> dict[str, Any]:
    return {"action": action, "level": level, "count": len(units), "units": units,
            "notice": {"kind": kind, "unit_id": IDS[unit_name], "unit_name": unit_name, "title": title, "body": body}}


async def test_preview_lists_each_change_the_units_it_reaches_and_their_notices(plan_client, auth, announce) -> None:
    h = auth()
    plan = (await plan_client.post("/api/plans", json=DRAFT, headers=h)).json()
    pid = plan["id"]
    (a, b), (c, d) = (s["items"] for s in plan["sections"])
    r = await plan_client.get(f"/api/plans/{pid}/revision-preview", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_published"
    assert (await plan_client.post(f"/api/plans/{pid}/publish", headers=h)).status_code == 202
    await announce(DIRECTORY)

    async def directory_known() -> dict[str, Any] | None:
        r = await plan_client.get(f"/api/plans/{pid}/revision-preview", headers=h)
        assert r.status_code == 200, r.text
        return r.json() if r.json()["directory"] == {"departments": 2, "districts": 2, "schools": 5} else None

    unchanged = await eventually(directory_known, timeout=30, interval=0.3, what="plan-svc to keep the directory, schools included")
    assert (unchanged["dirty"], unchanged["items"], unchanged["warnings"]) == (False, [], [])
    assert unchanged["totals"] == {"assigned": ZERO, "updated": ZERO, "withdrawn": ZERO, "units": 0}

    # The revision: A gains primary schools and a later deadline, B is renamed, C is deleted, D's indicator
    # changes, E is added for primary schools (lead unit typed in by name).
    await plan_client.patch(f"/api/plans/{pid}/items/{a['id']}", headers=h, json={
        "deadline": "2026-10-31", "targets": {"city": True, "districts": True, "school_types": ["primary"]}})
    await plan_client.patch(f"/api/plans/{pid}/items/{b['id']}", json={"title": "开展校园安全隐患全面排查"}, headers=h)
    assert (await plan_client.delete(f"/api/plans/{pid}/items/{c['id']}", headers=h)).status_code == 204
    await plan_client.patch(f"/api/plans/{pid}/items/{d['id']}", headers=h,
                            json={"indicators": [{"name": "培训", "comparator": ">=", "target": 3500, "unit": "人次"}]})
    r = await plan_client.post(f"/api/plans/{pid}/items", headers=h, json={
        "section_id": plan["sections"][1]["id"], "number": "5", "title": "加强心理健康教育", "lead_units": ["基础教育处"],
        "deadline": "2026-08-31", "targets": {"city": True, "school_types": ["primary"]}})
    assert r.status_code == 201, r.text
    e = r.json()
    assert e["lead_unit_ids"] == ["u-jjc"]  # resolved on creation, as an edit of the names would

    r = await plan_client.get(f"/api/plans/{pid}/revision-preview", headers=h)
    assert r.status_code == 200, r.text
    p = r.json()
    assert (p["published_version"], p["next_version"], p["dirty"], p["warnings"]) == (1, 2, True, [])
    items = {i["item_id"]: i for i in p["items"]}
    assert [i["item_id"] for i in p["items"]] == [a["id"], b["id"], d["id"], e["id"], c["id"]]
    primaries = ["海曙区第一小学", "海曙区第二小学", "江北区第一小学"]
    # 海曙区第一小学 gets two new tasks in this version (A and E): one digest lists both, by due date.
    school_digest = ("tasks_assigned", f"新任务2项：{HEADING}",
                     (f"海曙区教育局下达《{HEADING}》任务2项，请及时签收并按期办理：\n"
                      "1. 加强心理健康教育（截止：2026年8月31日）\n2. 深化集团化办学（截止：2026年10月31日）"))

    assert items[a["id"]] == {
        "item_id": a["id"], "number": "1", "title": "深化集团化办学", "change": "changed", "fields": ["deadline", "targets"],
        "details": [{"field": "deadline", "label": "完成时限", "before": "2026-09-30", "after": "2026-10-31"},
                    {"field": "targets", "label": "下发对象", "before": "市级 + 区县", "after": "市级 + 区县 + 小学"}],
        "audiences": [
            audience("assigned", "school", primaries, "海曙区第一小学", *school_digest),
            audience("updated", "city", ["基础教育处"], "基础教育处", "task_updated", "任务变更：深化集团化办学",
                     "任务“深化集团化办学”已随计划修订调整，截止日期：2026年10月31日。"),
            audience("updated", "district", ["海曙区教育局", "江北区教育局"], "海曙区教育局", "task_updated", "任务变更：深化集团化办学",
                     "任务“深化集团化办学”已随计划修订调整，截止日期：2026年10月31日。"),
        ],
        "notes": ["区县自行转派给学校的任务不随修订变更。"],
    }
    assert items[b["id"]]["fields"] == ["title"]
    assert items[b["id"]]["details"] == [{"field": "title", "label": "标题", "before": "开展校园安全隐患排查", "after": "开展校园安全隐患全面排查"}]
    assert items[b["id"]]["audiences"] == [audience("updated", "city", ["安全稳定处"], "安全稳定处", "task_updated",
                                                    "任务变更：开展校园安全隐患全面排查",
                                                    "任务“开展校园安全隐患全面排查”已随计划修订调整，截止日期：2026年6月30日。")]
    assert items[d["id"]]["fields"] == ["indicators"] and items[d["id"]]["audiences"] == []
    assert items[d["id"]]["details"][0]["before"] == "培训≥3000人次" and items[d["id"]]["details"][0]["after"] == "培训≥3500人次"
    assert items[d["id"]]["notes"] == ["指标调整不单独发通知；各单位填报时按新指标填写。"]
    assert items[e["id"]]["change"] == "added"
    assert items[e["id"]]["audiences"] == [
        audience("assigned", "city", ["基础教育处"], "基础教育处", "tasks_assigned", f"新任务1项：{HEADING}",
                 f"明州市教育局下达《{HEADING}》任务1项，请及时签收并按期办理：\n1. 加强心理健康教育（截止：2026年8月31日）"),
        audience("assigned", "district", ["海曙区教育局", "江北区教育局"], "海曙区教育局", "tasks_assigned", f"新任务1项：{HEADING}",
                 f"基础教育处下达《{HEADING}》任务1项，请及时签收并按期办理：\n1. 加强心理健康教育（截止：2026年8月31日）"),
        audience("assigned", "school", primaries, "海曙区第一小学", *school_digest),
    ]
    withdrawn = ("tasks_withdrawn", "任务撤回1项", "以下任务已撤回，无需继续办理。原因：第2版计划删除了该条目。\n1. 扩大学前资源（截止：2026年12月31日）")
    assert items[c["id"]] == {
        "item_id": c["id"], "number": "3", "title": "扩大学前资源", "change": "removed", "fields": [], "details": [],
        "audiences": [audience("withdrawn", "city", ["基础教育处"], "基础教育处", *withdrawn),
                      audience("withdrawn", "district", ["海曙区教育局"], "海曙区教育局", *withdrawn),
                      audience("withdrawn", "school", ["海曙区第一幼儿园"], "海曙区第一幼儿园", *withdrawn)],
        "notes": ["区县已转派给学校的任务随区县任务一并撤回，这些学校也会收到撤回通知。"],
    }
    assert p["totals"] == {"assigned": {"city": 1, "district": 2, "school": 6}, "updated": {"city": 2, "district": 2, "school": 0},
                           "withdrawn": {"city": 1, "district": 1, "school": 1}, "units": 8}

    # Published: nothing left to preview.
    assert (await plan_client.post(f"/api/plans/{pid}/publish", headers=h)).status_code == 202
    after = (await plan_client.get(f"/api/plans/{pid}/revision-preview", headers=h)).json()
    assert (after["published_version"], after["dirty"], after["items"]) == (2, False, [])


async def test_preview_is_for_plan_editors_only(plan_client, auth) -> None:
    plan = (await plan_client.post("/api/plans", json=DRAFT, headers=auth())).json()
    await plan_client.post(f"/api/plans/{plan['id']}/publish", headers=auth())
    r = await plan_client.get(f"/api/plans/{plan['id']}/revision-preview", headers=auth("district"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await plan_client.get("/api/plans/nope/revision-preview", headers=auth())
    assert r.status_code == 404 and r.json()["error"]["message"]
    # Without the directory the changes are still listed, with a warning instead of counts.
    await plan_client.patch(f"/api/plans/{plan['id']}/items/{plan['sections'][0]['items'][0]['id']}", json={"title": "新标题"}, headers=auth())
    p = (await plan_client.get(f"/api/plans/{plan['id']}/revision-preview", headers=auth())).json()
    assert p["items"][0]["fields"] == ["title"] and p["items"][0]["audiences"] == []
    assert p["warnings"] == ["plan-svc 尚未收到单位名录，暂无法统计涉及的单位；发布后各单位仍按 task-svc 的名录收到通知。"]
