"""Editing a draft (sections, items, indicators: add, change, delete, reorder) and publishing versions."""

from __future__ import annotations

from duban_shared.events.catalogue import PLAN_TOPIC
from duban_shared.testing.topics import read_envelopes

DRAFT = {
    "title": "明州市教育局2026年工作要点", "issuer": "明州市教育局", "year": 2026, "key_tasks": [], "warnings": [],
    "sections": [
        {"number": "一", "title": "加强党的建设", "items": [
            {"number": "1", "title": "深化主题教育", "body": "培训3000人次。", "lead_units": ["机关党委"],
             "indicators": [{"text": "培训3000人次", "name": "培训", "comparator": ">=", "target": 3000, "unit": "人次"}]},
            {"number": "2", "title": "从严治党", "body": "", "lead_units": ["机关党委"]},
        ]},
        {"number": "二", "title": "推进优质均衡", "items": [
            {"number": "3", "title": "扩大学前资源", "body": "新建幼儿园30所。", "lead_units": ["基础教育处"],
             "targets": {"city": True, "districts": True, "school_types": ["kindergarten"]}},
        ]},
    ],
}


def _items(plan: dict) -> list[dict]:
    return [i for s in plan["sections"] for i in s["items"]]


async def test_editor_round_trip(plan_client, auth) -> None:
    h = auth()
    plan = (await plan_client.post("/api/plans", json=DRAFT, headers=h)).json()
    pid = plan["id"]
    s1, s2 = plan["sections"]
    a, b = s1["items"]

    r = await plan_client.patch(f"/api/plans/{pid}", json={"title": "明州市教育局2026年工作要点（修订）"}, headers=h)
    assert r.status_code == 200 and r.json()["title"].endswith("（修订）")
    r = await plan_client.post(f"/api/plans/{pid}/items", json={"section_id": s1["id"], "position": 0, "title": "新增条目",
                                                               "indicators": [{"name": "覆盖率", "target": 90, "unit": "%"}]}, headers=h)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["position"] == 0 and new["indicators"][0]["id"]
    r = await plan_client.post(f"/api/plans/{pid}/sections/{s1['id']}/reorder", json={"ids": [a["id"], b["id"], new["id"]]}, headers=h)
    assert r.status_code == 200
    assert [i["title"] for i in r.json()["sections"][0]["items"]] == ["深化主题教育", "从严治党", "新增条目"]
    r = await plan_client.post(f"/api/plans/{pid}/sections/{s1['id']}/reorder", json={"ids": [a["id"]]}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_order"
    r = await plan_client.post(f"/api/plans/{pid}/items/{b['id']}/move", json={"section_id": s2["id"], "position": 0}, headers=h)
    assert r.status_code == 200 and r.json()["section_id"] == s2["id"]

    ind = a["indicators"][0]
    r = await plan_client.patch(f"/api/plans/{pid}/items/{a['id']}/indicators/{ind['id']}", json={"target": 3500}, headers=h)
    assert r.status_code == 200 and r.json()["target"] == 3500
    r = await plan_client.post(f"/api/plans/{pid}/items/{a['id']}/indicators", json={"name": "覆盖", "target": None, "unit": "所"}, headers=h)
    assert r.status_code == 201
    second = r.json()["id"]
    r = await plan_client.post(f"/api/plans/{pid}/items/{a['id']}/indicators/reorder", json={"ids": [second, ind["id"]]}, headers=h)
    assert [i["id"] for i in r.json()["indicators"]] == [second, ind["id"]]
    r = await plan_client.delete(f"/api/plans/{pid}/items/{a['id']}/indicators/{second}", headers=h)
    assert r.status_code == 204
    r = await plan_client.delete(f"/api/plans/{pid}/items/{new['id']}", headers=h)
    assert r.status_code == 204
    r = await plan_client.post(f"/api/plans/{pid}/sections", json={"number": "三", "title": "空章节"}, headers=h)
    assert r.status_code == 201
    r = await plan_client.delete(f"/api/plans/{pid}/sections/{r.json()['id']}", headers=h)
    assert r.status_code == 204

    tree = (await plan_client.get(f"/api/plans/{pid}", headers=h)).json()
    assert [[i["title"] for i in s["items"]] for s in tree["sections"]] == [["深化主题教育"], ["从严治党", "扩大学前资源"]]
    assert [i["position"] for i in tree["sections"][1]["items"]] == [0, 1]
    assert [i["target"] for i in _items(tree)[0]["indicators"]] == [3500]


async def test_editor_refuses_bad_requests(plan_client, auth) -> None:
    h = auth()
    pid = (await plan_client.post("/api/plans", json=DRAFT, headers=h)).json()["id"]
    r = await plan_client.post(f"/api/plans/{pid}/items", json={"section_id": "nope", "title": "x"}, headers=h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await plan_client.post(f"/api/plans/{pid}/items", json={"title": ""}, headers=h)
    assert r.status_code == 422
    r = await plan_client.patch(f"/api/plans/{pid}/items/nope", json={"title": "x"}, headers=h)
    assert r.status_code == 404
    r = await plan_client.patch(f"/api/plans/{pid}", content=b"{not json", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"]
    r = await plan_client.delete(f"/api/plans/{pid}/items/nope", headers=auth("school"))
    assert r.status_code == 403
    r = await plan_client.post("/api/plans/nope/sections", json={"title": "x"}, headers=h)
    assert r.status_code == 404


async def test_publish_then_revise_emits_item_changes(plan_client, auth, broker, topic_prefix) -> None:
    h = auth()
    plan = (await plan_client.post("/api/plans", json=DRAFT, headers=h)).json()
    pid = plan["id"]
    a, b, c = _items(plan)
    r = await plan_client.post(f"/api/plans/{pid}/publish", headers=h)
    assert r.status_code == 202 and r.json() == {"id": pid, "status": "published", "version": 1}
    r = await plan_client.post(f"/api/plans/{pid}/publish", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "nothing_to_publish"

    await plan_client.patch(f"/api/plans/{pid}/items/{a['id']}", json={"deadline": "2026-06-30", "title": "深化主题教育走深走实"}, headers=h)
    await plan_client.delete(f"/api/plans/{pid}/items/{b['id']}", headers=h)
    added = (await plan_client.post(f"/api/plans/{pid}/items", json={"section_id": plan["sections"][1]["id"], "title": "新条目"}, headers=h)).json()
    assert (await plan_client.get(f"/api/plans/{pid}", headers=h)).json()["dirty"] is True
    r = await plan_client.post(f"/api/plans/{pid}/publish", headers=h)
    assert r.status_code == 202 and r.json()["version"] == 2

    published, revised = await read_envelopes(broker.bootstrap, f"{topic_prefix}.{PLAN_TOPIC}", count=2)
    assert published.type == "plan.published" and published.key == pid
    p = published.payload
    assert p["version"] == 1 and [i["title"] for i in p["items"]] == ["深化主题教育", "从严治党", "扩大学前资源"]
    assert p["default_deadline"] == "2026-12-31"
    assert p["items"][0]["indicators"][0]["target"] == 3000 and p["items"][2]["targets"]["districts"] is True
    assert revised.type == "plan.revised" and revised.payload["previous_version"] == 1
    changes = {ch["item_id"]: ch for ch in revised.payload["changes"]}
    assert changes[a["id"]]["change"] == "changed" and set(changes[a["id"]]["fields"]) == {"title", "deadline"}
    assert changes[b["id"]]["change"] == "removed"
    assert changes[added["id"]]["change"] == "added" and changes[added["id"]]["item"]["title"] == "新条目"
    assert c["id"] not in changes
