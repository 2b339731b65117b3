"""The demo directory generator, and that plan documents' unit abbreviations find its departments."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from duban.supervisor import DEMO_ACCOUNTS
from task_svc.directory.demo import generate_demo_directory
from task_svc.directory.models import Unit
from task_svc.directory.records import KINDS, SCHOOL_TYPES, UnitRecord, unit_id_for
from task_svc.tasks.matching import match_unit

LETTER = {"kindergarten": "k", "primary": "p", "junior": "j", "senior": "s", "vocational": "v", "special": "t", "university": "u"}


@pytest.fixture(scope="module")
def demo() -> list[UnitRecord]:
    """The default demo directory."""
    return generate_demo_directory()


def test_same_seed_same_directory(demo: list[UnitRecord]) -> None:
    """Deterministic: the same seed gives the same list; another seed gives another list."""
    assert generate_demo_directory(2026) == demo
    assert generate_demo_directory() == generate_demo_directory(2026)
    other = generate_demo_directory(7)
    assert other == generate_demo_directory(7)
    assert other != demo


def test_shape_and_counts(demo: list[UnitRecord]) -> None:
    """One city bureau, its departments, 12 districts, 1,500+ schools over every school type."""
    kinds = Counter(r.kind for r in demo)
    assert set(kinds) == set(KINDS)
    assert kinds["city"] == 1 and kinds["district"] == 12
    assert kinds["department"] >= 12
    assert kinds["school"] >= 1500
    types = Counter(r.school_type for r in demo if r.kind == "school")
    assert set(types) == set(SCHOOL_TYPES)
    city = demo[0]
    assert (city.code, city.kind, city.parent_code) == ("city", "city", None)
    assert city.name.endswith("市教育局")
    assert all(r.parent_code == "city" for r in demo if r.kind in ("department", "district"))
    assert all(r.name.endswith("教育局") for r in demo if r.kind == "district")
    districts = [r.code for r in demo if r.kind == "district"]
    for d in districts:
        # Every district runs every kind of school a district runs (universities belong to the city).
        mine = {r.school_type for r in demo if r.parent_code == d}
        assert mine == set(SCHOOL_TYPES) - {"university"}, d


@pytest.mark.parametrize("seed", [0, 1, 2026, 99_999])
def test_codes_and_names_unique_parents_first(seed: int) -> None:
    """Codes and names are unique, every parent exists and comes before its children, codes follow the pattern."""
    records = generate_demo_directory(seed)
    assert len(records) >= 1500 + 1 + 12
    assert len({r.code for r in records}) == len(records)
    assert len({r.name for r in records}) == len(records)
    seen: set[str] = set()
    for r in records:
        assert r.kind in KINDS
        assert r.parent_code is None or r.parent_code in seen, f"{r.code} before its parent {r.parent_code}"
        if r.kind == "school":
            assert r.school_type in SCHOOL_TYPES
            assert re.fullmatch(rf"{re.escape(r.parent_code or '')}-{LETTER[r.school_type]}\d{{3}}", r.code), r.code
            assert re.search(r"(幼儿园|小学|中学|学校|学院|大学)$", r.name), r.name
        else:
            assert r.school_type is None
        seen.add(r.code)
    assert len({unit_id_for(r.code) for r in records}) == len(records)


def test_banner_accounts_exist(demo: list[UnitRecord]) -> None:
    """The demo accounts `duban up` prints are units of the demo directory."""
    by_code = {r.code: r for r in demo}
    for username, _ in DEMO_ACCOUNTS:
        if username != "admin":
            assert username in by_code, username
    assert by_code["d-jjc"].name == "基础教育处"
    assert by_code["haishu"].name == "海曙区教育局"
    assert (by_code["haishu-p001"].kind, by_code["haishu-p001"].school_type, by_code["haishu-p001"].parent_code) == ("school", "primary", "haishu")


def test_named_departments(demo: list[UnitRecord]) -> None:
    """The departments the brief names are there, with the codes the docs use."""
    deps = {r.code: r.name for r in demo if r.kind == "department"}
    for code, name in [("d-jjc", "基础教育处"), ("d-zjc", "职业教育与成人教育处"), ("d-gjc", "高等教育处"),
                       ("d-jcc", "计划财务处"), ("d-fgc", "发展规划处"), ("d-jgdw", "机关党委")]:
        assert deps[code] == name
    assert deps["d-msc"].startswith("秘书处")
    for word in ("人事处", "德育", "教师工作处", "安全稳定处", "督导", "教育技术中心", "教研中心", "考试院"):
        assert any(word in n for n in deps.values()), word


ABBREVIATIONS = [
    ("基教处", "d-jjc"), ("基教科", "d-jjc"), ("基础教育处", "d-jjc"),
    ("职教处", "d-zjc"), ("职教科", "d-zjc"), ("高教处", "d-gjc"),
    ("计财处", "d-jcc"), ("财务处", "d-jcc"), ("发展规划处", "d-fgc"), ("法规处", "d-zcc"),
    ("教研中心", "d-jys"), ("教研室", "d-jys"), ("机关党委", "d-jgdw"),
    ("秘书处", "d-msc"), ("秘书科", "d-msc"), ("办公室", "d-msc"),
    ("人事处", "d-rsc"), ("组织人事处", "d-rsc"), ("政工科", "d-rsc"),
    ("德育处", "d-dyc"), ("体卫艺处", "d-dyc"), ("教师处", "d-jsc"),
    ("督导室", "d-ddc"), ("电教馆", "d-jszx"), ("教育技术中心", "d-jszx"),
    ("招生考试科", "d-ksy"), ("考试院", "d-ksy"), ("资助中心", "d-zzzx"), ("安全处", "d-aqc"),
]


@pytest.mark.parametrize(("written", "code"), ABBREVIATIONS)
def test_plan_abbreviations_match_demo_departments(demo: list[UnitRecord], written: str, code: str) -> None:
    """Unit names as plan documents write them find the right demo department."""
    deps = [Unit(id=unit_id_for(r.code), code=r.code, name=r.name, kind=r.kind, parent_id=unit_id_for("city")) for r in demo if r.kind == "department"]
    found = match_unit(written, deps)
    assert found is not None and found.code == code, (written, found and found.name)


@pytest.mark.parametrize("written", ["各学校", "各区县教育局", "学前科", "", "处"])
def test_names_that_are_not_departments_match_nothing(demo: list[UnitRecord], written: str) -> None:
    """Words that name no department fall through (the task goes to the city bureau)."""
    deps = [Unit(id=unit_id_for(r.code), code=r.code, name=r.name, kind=r.kind) for r in demo if r.kind == "department"]
    assert match_unit(written, deps) is None
