"""Indicators, deadlines, units and normalisation, one form at a time."""

from __future__ import annotations

import pytest

from plan_svc.parsing import parse_plan_text
from plan_svc.parsing.deadlines import find_deadline
from plan_svc.parsing.indicators import find_indicators
from plan_svc.parsing.normalize import normalize_line
from plan_svc.parsing.units import extract_units


@pytest.mark.parametrize(("text", "expected"), [
    ("市级清廉学校达标率达到60%。", ("市级清廉学校达标率", ">=", 60, "%")),
    ("教共体占比不低于60％。", ("教共体占比", ">=", 60, "%")),
    ("二级幼儿园在园幼儿占比达78%及以上。", ("二级幼儿园在园幼儿占比", ">=", 78, "%")),
    ("力争1－2个区（县、市）通过复核评估。", ("区（县、市）通过复核评估", ">=", 1, "个")),
    ("建设校企共建紧缺专业30个。", ("建设校企共建紧缺专业", "=", 30, "个")),
    ("设置新专业不少于15个。", ("设置新专业", ">=", 15, "个")),
    ("调整传统专业5个以上。", ("调整传统专业", ">=", 5, "个")),
    ("援外培训3000人次。", ("援外培训", "=", 3000, "人次")),
    ("新增学位2.5万个。", ("新增学位", "=", 25000, "个")),
    ("新增学位****个。", ("新增学位", "=", None, "个")),
    ("大班额比例控制在5%以内。", ("大班额比例", "<=", 5, "%")),
    ("补充师资4000人左右。", ("补充师资", "~", 4000, "人")),
    ("教育投入力争达到216亿元。", ("教育投入", ">=", 216, "亿元")),
    ("建成3个以上现场工程师学院。", ("建成现场工程师学院", ">=", 3, "个")),
    ("民办学校在校生规模压减到5%以内。", ("民办学校在校生规模", "<=", 5, "%")),
    ("培训教师200余人。", ("培训教师", ">=", 200, "人")),
])
def test_each_indicator_form(text: str, expected: tuple[str, str, float | None, str]) -> None:
    clean = normalize_line(text)  # the parser reads normalised text (％ -> %, 1－2 -> 1-2)
    [ind] = find_indicators(clean)
    assert (ind["name"], ind["comparator"], ind["target"], ind["unit"]) == expected
    assert ind["text"] in clean


@pytest.mark.parametrize("text", [
    "在2022-2025年期间", "3-6岁儿童", "第25届推普周", "运用好“4个100”重点项目", "“12881”总体思路", "985、211高校", "开展“新**人”活动",
    "十四五规划", "2023年2月10日",
])
def test_numbers_that_are_not_targets(text: str) -> None:
    assert find_indicators(text) == []


def test_several_indicators_in_one_sentence_keep_their_own_names() -> None:
    got = find_indicators("市直学校创建10所党建示范校、100个先进党支部、1000名党员先锋岗，义务教育入学率达到100%、巩固率达到98%。")
    assert [(i["name"], i["target"], i["unit"]) for i in got] == [
        ("市直学校创建党建示范校", 10, "所"), ("先进党支部", 100, "个"), ("党员先锋岗", 1000, "名"),
        ("义务教育入学率", 100, "%"), ("巩固率", 98, "%"),
    ]


@pytest.mark.parametrize(("text", "year", "expected"), [
    ("到2023年底全部调整到位。", 2023, "2023-12-31"),
    ("6月底前完成自查。", 2023, "2023-06-30"),
    ("六月底前完成自查。", 2023, "2023-06-30"),
    ("年内开工建设。", 2022, "2022-12-31"),
    ("年底前完成。", 2024, "2024-12-31"),
    ("9月前完成招生。", 2023, "2023-08-31"),
    ("2023年9月1日前完成。", 2023, "2023-09-01"),
    ("上半年完成评估。", 2023, "2023-06-30"),
    ("第三季度完成验收。", 2023, "2023-09-30"),
    ("到2025年，实现全覆盖。", 2023, "2025-12-31"),
    ("6月底前出台方案，年内全面完成。", 2023, "2023-12-31"),
    ("截至2022年底，已建成10所。", 2023, None),
    ("截至2022年底，已建成10所。", None, None),
    ("截止到2024年6月底，已完成。", None, None),
    ("持续推进教育改革。", 2023, None),
    ("年内完成。", None, None),
    ("到2023年底完成。", None, "2023-12-31"),
    ("2月30日前完成。", 2023, None),
])
def test_each_deadline_form(text: str, year: int | None, expected: str | None) -> None:
    assert find_deadline(text, year) == expected


def test_deadline_in_a_parsed_item_uses_the_plan_year() -> None:
    draft = parse_plan_text("某市2023年工作要点\n一、部分\n1.推进甲。6月底前出台方案。\n2.推进乙。持续推进。\n")
    assert [it["deadline"] for s in draft["sections"] for it in s["items"]] == ["2023-06-30", None]


def test_units_keep_bracketed_names_whole_and_drop_duplicates() -> None:
    rest, units = extract_units("内容。（牵头处室：基教处、基教处。配合处室：各县（市、区）教育局，财务处等）")
    assert rest == "内容。"
    assert (units.lead, units.supporting) == (["基教处"], ["各县（市、区）教育局", "财务处"])


@pytest.mark.parametrize(("raw", "expected"), [
    ("（一）主题教育学深悟透。", "（一）主题教育学深悟透。"),
    ("(一)主题教育, 学深悟透: 达到８０％", "（一）主题教育，学深悟透：达到80%"),
    ("14 .推动 普通 高中 多元化发展 。 发挥 省特色 高中", "14.推动普通高中多元化发展。发挥省特色高中"),
    ("( 责任单位: 基教科 、教研中心,各学校)", "（责任单位：基教科、教研中心，各学校）"),
    ("\u3000\u3000力争1 — 2个，共1,500所", "力争1-2个，共1500所"),
    ("引入 IP 品牌 Tansu Kafka", "引入IP品牌Tansu Kafka"),
])
def test_normalisation_of_width_punctuation_and_stray_spaces(raw: str, expected: str) -> None:
    assert normalize_line(raw) == expected
