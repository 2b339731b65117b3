"""Unit names resolve against plan-svc's own directory copy (kept from unit.upserted) through the alias table."""

from __future__ import annotations

from duban_shared.events import Envelope
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging import KafkaBus
from duban_shared.testing.services import eventually
from duban_shared.testing.signing import signed_headers
from plan_svc.units.resolve import Candidate, Resolver

DIRECTORY = [
    UnitUpserted(id="u-city", code="city", name="明州市教育局", kind="city"),
    UnitUpserted(id="u-jjc", code="d-jjc", name="基础教育处", kind="department", parent_id="u-city"),
    UnitUpserted(id="u-jys", code="d-jys", name="教研室（教研中心）", kind="department", parent_id="u-city"),
    UnitUpserted(id="u-rsc", code="d-rsc", name="组织人事处（政工处）", kind="department", parent_id="u-city"),
    UnitUpserted(id="u-jcc", code="d-jcc", name="计划财务处", kind="department", parent_id="u-city"),
    UnitUpserted(id="u-hs", code="haishu", name="海曙区", kind="district", parent_id="u-city"),
    UnitUpserted(id="u-school", code="s1", name="明州市第一中学", kind="school", parent_id="u-hs"),
]
RESOLVER = Resolver([Candidate(u.id, u.name) for u in DIRECTORY if u.kind != "school"])


def test_names_resolve_exactly_by_alias_by_abbreviation_or_not_at_all() -> None:
    cases = {
        "基础教育处": ("exact", "u-jjc"), "教研中心": ("exact", "u-jys"), "明州市教育局基础教育处": ("exact", "u-jjc"),
        "基教处": ("alias", "u-jjc"), "学前科": ("alias", "u-jjc"), "教科所": ("alias", "u-jys"), "计财处": ("alias", "u-jcc"),
        "组织人事处": ("exact", "u-rsc"), "计划财处": ("abbreviation", "u-jcc"),
        "各区县教育局": ("collective", None), "各学校": ("collective", None), "宣传部": ("unresolved", None),
    }
    for name, (kind, unit_id) in cases.items():
        r = RESOLVER.resolve(name)
        assert (r.kind, r.unit.id if r.unit else None) == (kind, unit_id), name


async def test_import_resolves_units_from_the_directory_events(plan_client, auth, plan_settings) -> None:
    bus = KafkaBus(plan_settings.kafka_bootstrap_servers, client_id="test-task-svc", topic_prefix=plan_settings.topic_prefix)
    await bus.ensure_topics()
    try:
        producer = await bus.require()
        for ev in DIRECTORY:
            env = Envelope(type=ev.TYPE, version=ev.VERSION, source="task-svc", key=ev.partition_key(), payload=ev.model_dump(mode="json"))
            topic = bus.topic(ev.TOPIC)
            headers = signed_headers(plan_settings.keys_dir, plan_settings.topic_prefix, topic, env)
            await producer.send_and_wait(topic, env.to_bytes(), key=env.key.encode(), headers=headers)
    finally:
        await bus.stop()
    text = ("明州市教育局2026年工作要点\n一、推进基础教育\n（一）推进课程改革。开展专题教研20次。（牵头处室：基教处；配合处室：教科所、宣传部）\n"
            "（二）保障经费投入。经费按时拨付。（责任单位：计划财务处、各区县教育局）\n")

    async def imported() -> dict | None:  # type: ignore[type-arg]
        r = await plan_client.post("/api/plans/import", content=text.encode(), headers={**auth(), "Content-Type": "text/plain"})
        assert r.status_code == 201, r.text
        draft = r.json()["draft"]
        return draft if draft["sections"][0]["items"][1]["lead_unit_ids"] else None

    draft = await eventually(imported, timeout=30, interval=0.5, what="plan-svc to learn the directory")
    first, second = draft["sections"][0]["items"]
    assert first["lead_units"] == ["基教处"] and first["lead_unit_ids"] == ["u-jjc"]
    assert first["supporting_units"] == ["教科所", "宣传部"] and first["supporting_unit_ids"] == ["u-jys"]
    assert first["unresolved_units"] == ["宣传部"]
    assert any("基教处→基础教育处" in r for r in first["reasons"]) and any("宣传部" in r for r in first["reasons"])
    assert first["confidence"] < 0.8 and draft["check_first"][0]["item_id"] == first["id"]
    assert second["lead_unit_ids"] == ["u-jcc"] and second["unresolved_units"] == []
    assert any("宣传部" in w and "不会收到任务" in w for w in draft["warnings"])

    # The reviewer fixes the unresolved name: ids, unresolved names and doubts follow the edit.
    r = await plan_client.patch(f"/api/plans/{draft['id']}/items/{first['id']}", json={"supporting_units": ["教科所", "计财处"]}, headers=auth())
    assert r.status_code == 200, r.text
    fixed = r.json()
    assert fixed["supporting_unit_ids"] == ["u-jys", "u-jcc"] and fixed["unresolved_units"] == []
    assert not any("宣传部" in x for x in fixed["reasons"]) and any("计财处→计划财务处" in x for x in fixed["reasons"])
    assert fixed["confidence"] > first["confidence"]
