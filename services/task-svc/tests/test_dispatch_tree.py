"""The wanted tree of one item, on a small hand-made directory: targets, explicit units, lead ids, issuers, warnings."""

from __future__ import annotations

from datetime import date

from duban_shared.events.catalogue import PlanItemSnapshot, TargetsSnapshot
from task_svc.tasks.breakdown import Org, OrgUnit, PlanRef, task_id_for, wanted_tree

CITY = OrgUnit("c", "city", "明州市教育局", "city", None, None)
JJC = OrgUnit("jjc", "d-jjc", "基础教育处", "department", "c", None)
DYC = OrgUnit("dyc", "d-dyc", "德育与体卫艺处", "department", "c", None)
D1 = OrgUnit("d1", "haishu", "海曙区教育局", "district", "c", None)
D2 = OrgUnit("d2", "jiangbei", "江北区教育局", "district", "c", None)
K1 = OrgUnit("k1", "haishu-k001", "海曙幼儿园", "school", "d1", "kindergarten")
P1 = OrgUnit("p1", "haishu-p001", "海曙小学", "school", "d1", "primary")
P2 = OrgUnit("p2", "jiangbei-p001", "江北小学", "school", "d2", "primary")
U1 = OrgUnit("u1", "city-u001", "明州大学", "school", "c", "university")
UNITS = [CITY, JJC, DYC, D1, D2, K1, P1, P2, U1]
ORG = Org(CITY, [JJC, DYC], [D1, D2], {"d1": [K1, P1], "d2": [P2]}, [U1], {u.id: u for u in UNITS}, {u.code: u for u in UNITS})
REF = PlanRef("plan", 1, "admin", date(2026, 12, 31))


def snap(**kw: object) -> PlanItemSnapshot:
    """An item of this test's plan."""
    return PlanItemSnapshot(id="it", position=1, number="1", title="条目", **kw)  # type: ignore[arg-type]


def shape(item: PlanItemSnapshot) -> dict[str | None, list[tuple[str, str, str]]]:
    """Parent unit -> [(level, unit, issuer)]."""
    tree = wanted_tree(item, REF, ORG)
    unit_of = {t.id: t.unit_id for t in tree.all()}
    return {unit_of.get(p) if p else None: [(t.level, t.unit_id, t.issuer_unit_id) for t in ts] for p, ts in tree.groups.items()}


def test_kindergartens_only_bring_their_districts() -> None:
    item = snap(lead_units=["基教处"], deadline=date(2026, 6, 30), targets=TargetsSnapshot(school_types=["kindergarten"]))
    assert shape(item) == {None: [("city", "jjc", "c")], "jjc": [("district", "d1", "jjc")], "d1": [("school", "k1", "d1")]}
    assert {t.due_date for t in wanted_tree(item, REF, ORG).all()} == {date(2026, 6, 30)}
    assert {t.root_id for t in wanted_tree(item, REF, ORG).all()} == {task_id_for("plan", "it", "jjc", "city")}


def test_districts_and_city_run_schools() -> None:
    item = snap(lead_unit_ids=["dyc"], lead_units=["基础教育处"], targets=TargetsSnapshot(districts=True, school_types=["university", "primary"]))
    assert shape(item) == {
        None: [("city", "dyc", "c")],
        "dyc": [("district", "d1", "dyc"), ("district", "d2", "dyc"), ("school", "u1", "dyc")],
        "d1": [("school", "p1", "d1")], "d2": [("school", "p2", "d2")],
    }
    assert {t.due_date for t in wanted_tree(item, REF, ORG).all()} == {date(2026, 12, 31)}


def test_explicit_units_and_co_owners() -> None:
    item = snap(lead_units=["基础教育处"], supporting_units=["德育处"], targets=TargetsSnapshot(units=["jiangbei-p001", "nope"]))
    tree = wanted_tree(item, REF, ORG)
    assert shape(item) == {None: [("city", "jjc", "c")], "jjc": [("district", "d2", "jjc")], "d2": [("school", "p2", "d2")]}
    assert tree.co_owners == ["dyc"]
    assert any("nope" in w for w in tree.warnings)


def test_unresolvable_items_warn_instead_of_vanishing() -> None:
    nothing = wanted_tree(snap(targets=TargetsSnapshot(city=False)), REF, ORG)
    assert nothing.all() == [] and len(nothing.warnings) == 1
    unknown_lead = wanted_tree(snap(lead_units=["不存在的处"]), REF, ORG)
    assert [(t.level, t.unit_id) for t in unknown_lead.all()] == [("city", "c")] and "不存在的处" in unknown_lead.warnings[0]
    no_schools = wanted_tree(snap(targets=TargetsSnapshot(school_types=["special"])), REF, ORG)
    assert [t.level for t in no_schools.all()] == ["city"] and no_schools.warnings
