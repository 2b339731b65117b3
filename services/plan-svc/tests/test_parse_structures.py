"""Each document structure from the issue, on small synthetic plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from plan_svc.parsing import parse_plan_text

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "contracts" / "plan-draft.schema.json").read_text("utf-8"))


def _parse(text: str) -> dict[str, Any]:
    draft = parse_plan_text(text)
    jsonschema.validate(draft, SCHEMA)
    return draft


def _items(draft: dict[str, Any]) -> list[dict[str, Any]]:
    return [it for s in draft["sections"] for it in s["items"]]


def test_unnumbered_headline_items_in_one_paragraph() -> None:
    draft = _parse(
        "某区教育局2024年工作要点\n"
        "一、加强党的全面领导\n"
        "主题教育学深悟透。在全区教育系统广泛开展学习贯彻活动，分层分类组织学习轮训，确保主题教育走深走实。"
        "党建统领谋新创优。落实党组织领导的校长负责制。全面推进中小学校党组织建设，培育样板支部12个。"
        "从严治党抓细抓实。涵育校园廉洁文化，推进清廉学校建设，市级清廉学校达标率达到80%以上。\n"
        "二、办好人民满意教育\n"
        "学前教育补短提质。新建幼儿园5所，公办幼儿园在园幼儿占比达到60%，普惠性幼儿园覆盖率保持在90%以上。"
        "义务教育优质均衡。推进教共体建设，力争1-2个区（县、市）通过复核评估。\n")
    [s1, s2] = draft["sections"]
    assert [(it["number"], it["title"]) for it in s1["items"]] == [("1", "主题教育学深悟透"), ("2", "党建统领谋新创优"), ("3", "从严治党抓细抓实")]
    # a short sentence right after a headline is body, not a new item
    assert s1["items"][1]["body"].startswith("落实党组织领导的校长负责制。全面推进")
    assert [it["title"] for it in s2["items"]] == ["学前教育补短提质", "义务教育优质均衡"]
    assert s2["items"][0]["indicators"][0]["target"] == 5
    assert sum("没有编号" in w for w in draft["warnings"]) == 2


def test_headline_split_needs_a_paragraph_of_headline_shaped_sentences() -> None:
    draft = _parse("2024年工作要点\n一、总体要求\n2024年是关键之年，全区教育系统要坚持立德树人，推动高质量发展，办好人民满意的教育。\n"
                   "二、主要任务\n1.推进学前教育。新建幼儿园5所。\n")
    s1 = draft["sections"][0]
    assert s1["items"] == [] and s1["intro"].startswith("2024年是关键之年")
    assert any("第一部分“总体要求”中没有识别出工作条目" in w for w in draft["warnings"])


def test_responsibility_clauses_in_every_form() -> None:
    draft = _parse(
        "某市教育局2022年工作要点\n一、重点工作\n"
        "1.推进区域教育中心建设。制定实施方案。(牵头处室:发展规划处。责任处室:财务处、组织人事处、审计室)\n"
        "2.深化课程改革。加强课程建设。(责任单位: 基教科 、教研中心,各学校)\n"
        "3.加强语言文字工作。做好普通话测试工作。（责任处室：语言文字工作处）\n"
        "4.坚持全面从严治党。开展廉政教育。(责任单位:机关党委,各基层党组织)\n"
        "5.办好民生实事。推进课后服务。（牵头单位：各县（市、区）教育局；配合单位：基教处、财务处）\n"
        "6.加强安全工作。开展安全检查。责任单位：安保处、各学校\n")
    got = [(it["lead_units"], it["supporting_units"]) for it in _items(draft)]
    assert got == [
        (["发展规划处"], ["财务处", "组织人事处", "审计室"]),
        (["基教科"], ["教研中心", "各学校"]),
        (["语言文字工作处"], []),
        (["机关党委"], ["各基层党组织"]),
        (["各县（市、区）教育局"], ["基教处", "财务处"]),
        (["安保处"], ["各学校"]),
    ]
    assert [it["body"] for it in _items(draft)][:2] == ["制定实施方案。", "加强课程建设。"]
    assert all("单位" not in it["body"] and "处室" not in it["body"] for it in _items(draft))
    assert _items(draft)[4]["targets"]["districts"] is True


KEY_TASKS = (
    "某市教育局2023年工作要点\n一、重点工作\n（一）主题教育学深悟透。开展学习。（责任单位：组织人事处）\n"
    "附件\n2023年重点工作任务清单\n"
    "序号\n主要工作\n工作内容\n分管领导\n牵头处室\n"
    "1\n主题教育\n在全市教育系统开展主题教育，\n分层分类组织学习轮训，\n覆盖率达到100%。\n张 三\n组织人事处\n"
    "2\n双减\n工作\n推进“双减”，作业公示率不低于95%。\n李四\n基础教育处、\n督导处\n"
    "3\n学位扩容\n新增学位2.5万个。\n王五\n发展规划处\n财务处\n"
)


def test_key_task_appendix_with_split_cells() -> None:
    draft = _parse(KEY_TASKS)
    assert [it["title"] for it in _items(draft)] == ["主题教育学深悟透"]
    tasks = draft["key_tasks"]
    assert [(t["number"], t["title"], t["leader"], t["lead_units"]) for t in tasks] == [
        (1, "主题教育", "张三", ["组织人事处"]),
        (2, "双减工作", "李四", ["基础教育处", "督导处"]),
        (3, "学位扩容", "王五", ["发展规划处", "财务处"]),
    ]
    assert tasks[0]["body"] == "在全市教育系统开展主题教育，分层分类组织学习轮训，覆盖率达到100%。"
    assert tasks[1]["indicators"][0] | {"text": ""} == {"text": "", "name": "作业公示率", "comparator": ">=", "target": 95, "unit": "%"}
    assert tasks[2]["indicators"][0]["target"] == 25000
    assert not any("附件" in w for w in draft["warnings"])


def test_cover_notice_and_trailing_summary_are_not_the_plan() -> None:
    draft = _parse(
        "关于印发《某市教育局2023年工作要点》的通知\n各区县（市）教育局，局属各单位：\n"
        "现将《某市教育局2023年工作要点》印发给你们，请结合实际，认真贯彻落实。\n某市教育局\n2023年2月10日\n（此件公开发布）\n"
        "某市教育局2023年工作要点\n2023年是开局之年。\n"
        "一、加强党的建设\n（一）主题教育学深悟透。开展学习贯彻活动。\n（二）党建统领谋新创优。推进校长负责制。\n"
        "二、提高教育质量\n（三）推进学前教育补短提质。公办幼儿园在园幼儿占比达到60%。\n"
        "某市教育局\n2023年2月10日\n"
        "某市教育局2022年工作总结\n2022年，全市教育系统取得显著成绩。\n一、党建工作成效显著\n（一）开展主题教育。全年开展培训30场次。\n"
        "二、教育质量稳步提升\n（二）学前教育普及普惠。新建幼儿园20所。\n")
    assert (draft["title"], draft["issuer"], draft["year"]) == ("某市教育局2023年工作要点", "某市教育局", 2023)
    assert [s["title"] for s in draft["sections"]] == ["加强党的建设", "提高教育质量"]
    assert [it["title"] for it in _items(draft)] == ["主题教育学深悟透", "党建统领谋新创优", "推进学前教育补短提质"]
    assert _items(draft)[-1]["body"] == "公办幼儿园在园幼儿占比达到60%。"
    warnings = " ".join(draft["warnings"])
    assert "已跳过文前的印发通知" in warnings and "某市教育局2022年工作总结" in warnings


def test_notice_gives_the_title_when_the_plan_has_none() -> None:
    draft = _parse("关于印发《某县教育局2024年工作计划》的通知\n各学校：\n现印发给你们。\n一、加强党建\n1.强化理论武装。开展学习。\n")
    assert draft["title"] == "某县教育局2024年工作计划" and draft["year"] == 2024
    assert any("取自印发通知" in w for w in draft["warnings"])


def test_another_document_restarting_at_one_ends_the_plan() -> None:
    draft = _parse("某市2023年工作要点\n一、甲\n（一）推进甲。内容。\n二、乙\n（二）推进乙。内容。\n"
                   "去年工作回顾\n一、回顾甲\n（一）完成甲。内容。\n")
    assert [s["title"] for s in draft["sections"]] == ["甲", "乙"]
    assert _items(draft)[-1]["body"] == "内容。"


def test_breadcrumbs_and_page_furniture_are_dropped() -> None:
    draft = _parse(
        "首页 >政务公开>通知公告\n当前位置：首页 > 信息公开\n发布时间：2023-03-01 浏览次数：1024\n【字体：大 中 小】\n"
        "某市教育局2023年工作要点\n一、加强党建\n1.强化理论武装。开展学习。\n- 2 -\n2.加强组织建设。建强支部。\n"
        "打印本页 关闭窗口\n版权所有：某市教育局 ICP备12345678号\n")
    assert [it["body"] for it in _items(draft)] == ["开展学习。", "建强支部。"]
    assert any("已忽略网页导航" in w for w in draft["warnings"])


def test_login_wall_is_skipped_and_reported_where_text_was_lost() -> None:
    draft = _parse(
        "某市教育局2022年工作要点\n一、甲部分\n1.推进甲。内容甲。\n2.推进乙。内容乙。\n"
        "隐藏内容\n此处内容需要权限查看\n普通用户特权：8.8积分\n会员用户特权：免费\n会员免费查看\n"
        "7.推进丙。内容丙。\n三、丙部分\n8.推进丁。内容丁。\n")
    assert [it["number"] for it in _items(draft)] == ["1", "2", "7", "8"]
    assert _items(draft)[1]["body"] == "内容乙。"
    warnings = " ".join(draft["warnings"])
    assert "第2条“推进乙”之后有一段内容被网站隐藏" in warnings
    assert "条目编号从2跳到7，中间的第3—6条缺失" in warnings and "缺少第二部分" in warnings


def test_masked_names_and_numbers() -> None:
    draft = _parse("**市教育局2023年工作要点\n一、扩容\n（一）加大学位扩容力度。新改扩建中小学**所，新增学位****个。支持X学院建设。（责任单位：X中学）\n")
    [item] = _items(draft)
    assert [(i["name"], i["target"], i["unit"]) for i in item["indicators"]] == [("新改扩建中小学", None, "所"), ("新增学位", None, "个")]
    assert item["lead_units"] == ["X中学"] and "X学院" in item["body"]
    assert draft["issuer"] == "**市教育局"
    warnings = " ".join(draft["warnings"])
    assert "数值被遮挡" in warnings and "名称或数字被遮挡" in warnings


def test_item_number_forms() -> None:
    cases = {
        "（一）推进甲。内容。\n（二）推进乙。内容。": ["一", "二"],
        "(一)推进甲。内容。\n(二)推进乙。内容。": ["一", "二"],
        "1.推进甲。内容。\n2．推进乙。内容。": ["1", "2"],
        "14 .推进甲。内容。\n15 .推进乙。内容。": ["14", "15"],
        "1、推进甲。内容。\n2、推进乙。内容。": ["1", "2"],
    }
    for body, numbers in cases.items():
        draft = _parse(f"某市2023年工作要点\n一、部分\n{body}\n")
        assert [(it["number"], it["title"], it["body"]) for it in _items(draft)] == [(numbers[0], "推进甲", "内容。"), (numbers[1], "推进乙", "内容。")]


def test_groups_over_numbered_items_and_sub_points_inside_items() -> None:
    grouped = _parse("某市2022年工作要点\n一、突出重点\n（一）全面提高教育质量\n1.树立质量观。内容。\n2.完善评价。内容。\n"
                     "（二）加快现代化\n3.发展学前教育。内容。\n")
    assert [(it["number"], it.get("group")) for it in _items(grouped)] == [("1", "全面提高教育质量"), ("2", "全面提高教育质量"), ("3", "加快现代化")]
    nested = _parse("某市2022年工作要点\n一、突出重点\n（一）提高质量。要做到：\n1.树立质量观；\n2.完善评价。\n（二）加快现代化。发展学前教育。\n")
    items = _items(nested)
    assert [it["number"] for it in items] == ["一", "二"]
    assert items[0]["body"] == "要做到：\n1.树立质量观；\n2.完善评价。"
    promoted = _parse("某市2022年工作要点\n（一）提高质量\n1.树立质量观。内容。\n（二）加快现代化\n2.发展学前教育。内容。\n")
    assert [(s["number"], s["title"], [i["number"] for i in s["items"]]) for s in promoted["sections"]] == [
        ("一", "提高质量", ["1"]), ("二", "加快现代化", ["2"])]


def test_pdf_wrapped_lines_and_stray_spaces() -> None:
    draft = _parse("某市2023年工作要点\n一、 加强 党建\n1 .强化理论武装 。在全市 教育 系统开展学习，组织 研 学\n"
                   "活动不少于 15 场次，做到全覆盖。( 责任单位 : 基教科 、 教研中心 )\n2.建强支部。内容。\n")
    first = _items(draft)[0]
    assert draft["sections"][0]["title"] == "加强党建"
    assert (first["title"], first["body"]) == ("强化理论武装", "在全市教育系统开展学习，组织研学活动不少于15场次，做到全覆盖。")
    assert first["lead_units"] == ["基教科"] and first["supporting_units"] == ["教研中心"]
    assert first["indicators"][0]["target"] == 15


def test_title_line_without_full_stop_then_body_lines() -> None:
    draft = _parse("某市2023年工作要点\n一、部分\n（一）主题教育学深悟透\n在全市教育系统开展学习。\n（二）党建统领谋新创优\n推进校长负责制。\n")
    assert [(it["title"], it["body"]) for it in _items(draft)] == [("主题教育学深悟透", "在全市教育系统开展学习。"), ("党建统领谋新创优", "推进校长负责制。")]


def test_only_one_numbered_level_makes_each_part_an_item() -> None:
    draft = _parse("某县教育局2023年工作计划\n一、加强党建。开展学习教育，建强基层组织。\n二、提高质量。新建幼儿园3所。\n")
    assert [(it["number"], it["title"]) for it in _items(draft)] == [("一", "加强党建"), ("二", "提高质量")]
    assert any("一级编号" in w for w in draft["warnings"])


def test_signature_after_the_last_item_is_not_its_body() -> None:
    draft = _parse("某市教育局2023年工作要点\n一、部分\n1.推进甲。内容。\n某市教育局\n2023年2月10日\n")
    assert _items(draft)[0]["body"] == "内容。" and draft["issuer"] == "某市教育局"


def test_targets_from_text_and_units() -> None:
    draft = _parse("某市2023年工作要点\n一、部分\n1.发展学前教育。新建幼儿园。\n2.推进义务教育均衡。指导各县（市、区）创建。\n"
                   "3.办好普通高中。内容。\n4.发展中职教育。内容。\n5.办好特殊教育。内容。\n6.支持高校发展。内容。\n"
                   "7.加强安全。内容。（责任单位：安保处，各学校）\n8.机关建设。内容。\n")
    got = [(it["targets"]["districts"], it["targets"]["school_types"]) for it in _items(draft)]
    assert got == [
        (False, ["kindergarten"]), (True, ["primary", "junior"]), (False, ["senior"]), (False, ["vocational"]),
        (False, ["special"]), (False, ["university"]),
        (False, ["kindergarten", "primary", "junior", "senior", "vocational", "special", "university"]), (False, []),
    ]
    assert all(it["targets"]["city"] for it in _items(draft))


def test_parts_above_sections_and_unbracketed_clause_over_two_lines() -> None:
    draft = _parse(
        "某市教育局文件\n关于印发2024年全市教育工作要点的通知\n各县（市、区）教育局：\n现将工作要点印发给你们。\n某市教育局\n2024年1月20日\n"
        "2024年全市教育工作要点\n第一部分 总体要求\n坚持稳中求进，推动教育高质量发展。\n第二部分 重点任务\n一、坚持立德树人\n"
        "1.加强思想政治教育。建设市级思政示范课堂100节。牵头单位：思政处；配合单位：基教处、\n各县（市、区）教育局\n"
        "2.加强体育美育。上半年完成体质监测。\n二、推进教育公平\n3.扩大优质学位供给。新增学位1.2万个。（牵头单位：发展规划处）\n")
    assert [(s["number"], s["title"], s.get("part")) for s in draft["sections"]] == [("一", "坚持立德树人", "重点任务"), ("二", "推进教育公平", "重点任务")]
    first = _items(draft)[0]
    assert (first["body"], first["lead_units"], first["supporting_units"]) == ("建设市级思政示范课堂100节。", ["思政处"], ["基教处", "各县（市、区）教育局"])
    assert draft["issuer"] == "某市教育局" and _items(draft)[1]["deadline"] == "2024-06-30"
    assert any("“总体要求”只有说明文字" in w for w in draft["warnings"])


def test_parts_alone_are_the_sections() -> None:
    draft = _parse("某市2024年工作要点\n第一部分 加强党建\n1.推进甲。内容。\n第二部分 提高质量\n2.推进乙。内容。\n")
    assert [(s["number"], s["title"], [i["number"] for i in s["items"]]) for s in draft["sections"]] == [("一", "加强党建", ["1"]), ("二", "提高质量", ["2"])]


def test_title_repeated_as_a_running_page_header_does_not_end_the_plan() -> None:
    draft = _parse("某市教育局2024年工作要点\n一、部分甲\n1.推进甲。内容甲。\n某市教育局2024年工作要点\n2.推进乙。内容乙。\n二、部分乙\n3.推进丙。内容丙。\n")
    assert [it["body"] for it in _items(draft)] == ["内容甲。", "内容乙。", "内容丙。"]


def test_title_with_the_year_first_names_the_issuer_after_it() -> None:
    assert _parse("2024年区教育局工作要点\n一、部分\n1.推进甲。内容。\n")["issuer"] == "区教育局"
    assert _parse("2024年全市教育工作要点\n一、部分\n1.推进甲。内容。\n")["issuer"] is None


def test_bracketed_arabic_numbers_are_items_only_when_nothing_else_is() -> None:
    draft = _parse("某市2024年工作要点\n一、部分\n（1）推进甲。内容甲。\n(2)推进乙。内容乙。\n二、部分二\n1.推进丙。要求：\n（1）做好A；\n（2）做好B。\n")
    assert [(it["number"], it["title"], it["body"]) for it in _items(draft)] == [
        ("1", "推进甲", "内容甲。"), ("2", "推进乙", "内容乙。"), ("1", "推进丙", "要求：\n（1）做好A；\n（2）做好B。")]


def test_a_plan_that_is_only_a_key_task_table() -> None:
    draft = _parse("某市教育局2024年重点工作任务清单\n序号\n重点任务\n具体措施\n牵头单位\n完成时限\n"
                   "1\n主题教育\n开展学习，覆盖率达到100%。\n组织处\n6月底前\n2\n双减\n作业公示率不低于95%。\n基教处\n年底\n")
    assert draft["sections"] == [] and "preamble" not in draft
    assert [(k["title"], k["lead_units"], k["deadline"]) for k in draft["key_tasks"]] == [
        ("主题教育", ["组织处"], "2024-06-30"), ("双减", ["基教处"], "2024-12-31")]
    assert any("只解析了重点工作任务表" in w for w in draft["warnings"])


def test_a_section_clause_applies_to_items_without_their_own() -> None:
    draft = _parse("某市2024年工作要点\n一、加强党建（牵头处室：组织处）\n1.推进甲。内容。\n2.推进乙。内容。（责任单位：宣传处）\n")
    assert draft["sections"][0]["title"] == "加强党建"
    assert [it["lead_units"] for it in _items(draft)] == [["组织处"], ["宣传处"]]
