"""The three scraped seed plans, against expectations checked by hand against the documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from plan_svc.parsing import parse_plan_file
from plan_svc.plans.schemas import PlanDraftIn

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"
SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "contracts" / "plan-draft.schema.json").read_text("utf-8"))

SEED_000: dict[str, Any] = {
    "file": "000_713af2f0a2fc664b.txt",
    "sections": [
        ("一", "高站位开展党的全面领导引领行动", [("一", "主题教育学深悟透"), ("二", "党建统领谋新创优"), ("三", "从严治党抓细抓实")]),
        ("二", "高起点开展素质教育铸魂强身行动", [("四", "坚持思政一体全链条贯通"), ("五", "坚持五育并举全方位培养"), ("六", "坚持成长指导全过程引领")]),
        ("三", "高标准开展办学质量创优提质行动", [
            ("七", "推进学前教育补短提质"), ("八", "促进义务教育优质均衡"), ("九", "强化普通高中提质扩面"),
            ("十", "加快中职教育高位突破"), ("十一", "推动高等教育内涵发展"), ("十二", "促进终身教育融合便捷")]),
        ("四", "高要求开展师德师能涵育拔节行动", [("十三", "深入推进师德师风建设"), ("十四", "完善教师专业成长体系"), ("十五", "加强教育领域人才工作")]),
        ("五", "高效能开展服务发展同频共振行动", [("十六", "提高校企合作精准度"), ("十七", "提高产教融合适配度"), ("十八", "提高教育合作协同度")]),
        ("六", "高质量开展综合改革破冰攻坚行动", [("十九", "推动重大任务落实落地"), ("二十", "推动关键领域创新突破"), ("二十一", "推动体制机制改革创新")]),
        ("七", "高效率开展优质资源扩面创标行动", [("二十二", "加大学位扩容力度"), ("二十三", "加快重大项目推进"), ("二十四", "加强惠民利民举措")]),
        ("八", "高品质开展和美教育聚心聚力行动", [("二十五", "切实维护校园安全稳定"), ("二十六", "积极营造良好教育生态"), ("二十七", "守正创新做好新闻宣传")]),
    ],
}
SEED_003: dict[str, Any] = {
    "file": "003_48301fe1551795f4.txt",
    "sections": [
        ("", "未标明部分", [("14", "推动普通高中多元化发展"), ("15", "加强拔尖创新人才培养"), ("16", "加强高中教育支持力度")]),
        ("五", "着力实施职教助企专项改革行动", [("17", "推动教学提质培优"), ("18", "优化调整专业结构"), ("19", "深化产教融合发展"), ("20", "提升民办职校办学水平")]),
        ("六", "持续优化育人模式改革工程", [
            ("21", "坚持全环境立德树人"), ("22", "加强思政课建设"), ("23", "统筹推进“双减”工作"), ("24", "建好用好校外育人基地"),
            ("25", "规范开展中小学研学实践活动")]),
        ("七", "全面推进教师队伍专业化改革", [("26", "强化师德师风建设"), ("27", "落实全员精准培训"), ("28", "优化教师管理体制")]),
        ("八", "扎实推进体旅融合惠民改革", [
            ("29", "举办系列精品赛事"), ("30", "争创第二批全国全民运动健身模范县"), ("31", "打造特色运动项目"), ("32", "深化体教融合工作")]),
        ("九", "加强党对教体工作的全面领导", [
            ("33", "强化党的科学理论武装"), ("34", "提升党建工作质量"), ("35", "强化全面从严治党"), ("36", "严格落实意识形态工作责任制")]),
        ("十", "全面加强平安校园建设", [
            ("37", "加强校园安全综合治理"), ("38", "加强心理健康教育"), ("39", "加强信访稳定工作"), ("40", "扎实做好基层减负"),
            ("41", "发挥宣传服务效能")]),
    ],
}
SEED_004: dict[str, Any] = {
    "file": "004_f39552d3b4a69c72.txt",
    "sections": [
        ("一", "建设区域教育中心，办好人民满意教育", [
            ("1", "推进区域教育中心建设"), ("2", "深入实施“十四五”教育发展规划"), ("3", "全面完成年度发展目标"),
            ("4", "健全教育发展保障体系"), ("5", "提升教育系统作风效能")]),
        ("二", "突出两项重点工作", [
            ("6", "树立科学教育质量观"), ("7", "完善科学质量评价机制"), ("8", "提升教育教研工作实效"), ("9", "优质普惠发展学前教育"),
            ("10", "优质均衡发展义务教育"), ("11", "优质特色发展普通高中"), ("12", "优质内涵发展职业教育"), ("13", "优质融合发展特殊教育"),
            ("14", "统筹推进乡村教育振兴"), ("15", "大力发展高等教育"), ("16", "完善终身学习教育体系"), ("17", "加强语言文字工作"),
            ("18", "稳步推进对外交流")]),
        ("三", "强力推进八项工程", [
            ("19", "坚定不移抓好理论武装"), ("20", "持之以恒加强党的建设"), ("21", "坚持不懈全面从严治党"), ("22", "牢牢抓好意识形态工作"),
            ("23", "提升德育实效"), ("24", "强化体艺教育"), ("25", "加强劳动教育"), ("26", "健全心理健康教育"), ("27", "加快学校项目建设"),
            ("49", "深化教育改革试验区建设")]),
        ("五", "着力办好一批民生实事", [("50", "用心用情用力办好教育系统民生实事")]),
    ],
}


def _parse(name: str) -> dict[str, Any]:
    return parse_plan_file((SEEDS / name).read_bytes(), name)


def _items(draft: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {it["number"]: it for s in draft["sections"] for it in s["items"]}


def _ind(item: dict[str, Any], name: str) -> tuple[str, float | None, str]:
    [found] = [(i["comparator"], i["target"], i["unit"]) for i in item["indicators"] if i["name"] == name]
    return found


@pytest.mark.parametrize("seed", [SEED_000, SEED_003, SEED_004], ids=["000", "003", "004"])
def test_seed_sections_and_every_item(seed: dict[str, Any]) -> None:
    draft = _parse(seed["file"])
    jsonschema.validate(draft, SCHEMA)
    PlanDraftIn.model_validate(draft)  # what plans.service.create_from_draft is given
    got = [(s["number"], s["title"], [(it["number"], it["title"]) for it in s["items"]]) for s in draft["sections"]]
    assert got == seed["sections"]
    for it in _items(draft).values():
        assert it["body"] and "责任单位" not in it["body"] and "牵头处室" not in it["body"]
        assert "隐藏内容" not in it["body"] and "会员" not in it["body"]
        assert "  " not in it["body"] and it["targets"]["city"] is True


def test_seed_000_plan_head_indicators_and_deadline() -> None:
    draft = _parse(SEED_000["file"])
    assert (draft["title"], draft["issuer"], draft["year"]) == ("某市教育局2023年工作要点", "某市教育局", 2023)
    assert draft["preamble"].startswith("2023年是全面贯彻落实党的二十大精神的开局之年") and draft["key_tasks"] == []
    items = _items(draft)
    assert items["一"]["body"].startswith("在全市教育系统广泛开展学习贯彻党的二十大精神活动")
    assert all(it["lead_units"] == [] and it["supporting_units"] == [] for it in items.values())
    assert items["二"]["deadline"] == "2023-12-31"
    assert [n for n, it in items.items() if it["deadline"]] == ["二"]
    assert _ind(items["三"], "市级清廉学校达标率") == (">=", 80, "%")
    assert _ind(items["七"], "全市公办幼儿园在园幼儿占比") == (">=", 60, "%")
    assert _ind(items["七"], "二级及以上幼儿园在园幼儿占比") == (">=", 78, "%")
    assert _ind(items["八"], "区（县、市）通过复核评估") == (">=", 1, "个")
    assert _ind(items["八"], "县域内融合型、共建型教共体占比") == (">=", 60, "%")
    assert _ind(items["十七"], "中职学校设置新专业") == (">=", 15, "个")
    assert _ind(items["十七"], "调整传统专业") == (">=", 5, "个")
    assert _ind(items["十八"], "年援外培训") == (">=", 3000, "人次")
    assert _ind(items["十六"], "建设校企共建紧缺专业") == ("=", 30, "个")
    masked = [i for i in items["二十二"]["indicators"] if i["target"] is None]
    assert {i["unit"] for i in masked} >= {"所", "个"} and len(masked) >= 5
    assert items["七"]["targets"]["school_types"] == ["kindergarten"]
    assert items["十一"]["targets"]["school_types"] == ["university"]
    assert items["八"]["targets"]["districts"] is True
    assert any("所有条目都没有写明牵头或责任单位" in w for w in draft["warnings"])
    assert any("被遮挡" in w for w in draft["warnings"])
    assert not any("隐藏" in w or "缺失" in w for w in draft["warnings"])


def test_seed_003_units_and_missing_start() -> None:
    draft = _parse(SEED_003["file"])
    assert draft["title"] == "未命名计划" and draft["year"] is None and draft["issuer"] is None
    items = _items(draft)
    assert (items["14"]["lead_units"], items["14"]["supporting_units"]) == (["基教科"], ["教研中心", "各学校"])
    assert (items["20"]["lead_units"], items["20"]["supporting_units"]) == (["职教科"], ["好当家集团海洋学校"])
    assert (items["29"]["lead_units"], items["29"]["supporting_units"]) == (["体育发展中心"], [])
    assert (items["33"]["lead_units"], items["33"]["supporting_units"]) == (["机关党委"], ["各基层党组织"])
    assert items["36"]["lead_units"] == ["秘书科"]
    assert items["36"]["supporting_units"] == ["教研中心", "基教科", "政工科", "安保科", "各基层党组织"]
    assert items["17"]["supporting_units"] == ["X水产学校"]
    assert items["24"]["body"].startswith("依托X爱国主义教育基地") and "研学活动" in items["24"]["body"]  # PDF stray spaces gone
    assert all(it["deadline"] is None for it in items.values())  # no year stated, so 国庆期间 etc. give no date
    assert _ind(items["30"], "新增体育指导员") == (">=", 300, "人")
    assert _ind(items["30"], "全民健身活动") == (">=", 15, "场次")
    assert _ind(items["30"], "体育惠民活动") == ("=", 3500, "场次")
    assert _ind(items["28"], "教师交流比例") == (">=", 15, "%")
    assert _ind(items["35"], "打造清廉学校示范点") == ("=", 2, "所")
    assert items["14"]["targets"]["school_types"] == ["kindergarten", "primary", "junior", "senior", "vocational", "special", "university"]
    warnings = " ".join(draft["warnings"])
    assert "条目编号从14开始，第1—13条缺失" in warnings and "部分编号从“五”开始" in warnings
    assert "没有找到计划标题" in warnings and "没有找到计划年度" in warnings


def test_seed_004_login_wall_groups_and_units() -> None:
    draft = _parse(SEED_004["file"])
    assert (draft["title"], draft["issuer"], draft["year"]) == ("市教育局2022年工作要点", "市教育局", 2022)
    items = _items(draft)
    warnings = draft["warnings"]
    assert any("条目编号从27跳到49" in w and "第28—48条缺失" in w and "隐藏" in w for w in warnings)
    assert any("第27条" in w and "被网站隐藏" in w for w in warnings)
    assert any("缺少第四部分" in w for w in warnings)
    assert (items["2"]["lead_units"], items["2"]["supporting_units"]) == (["发展规划处"], ["机关各处室"])
    assert items["3"]["lead_units"] == ["办公室"]
    assert items["3"]["supporting_units"] == ["学前教育处", "义务教育处", "高中教育处", "高等教育和职业教育处", "发展规划处", "电教馆"]
    assert (items["17"]["lead_units"], items["17"]["supporting_units"]) == (["语言文字工作处"], [])
    assert items["1"]["lead_units"] == ["区域教育中心建设专班"]
    assert items["50"]["lead_units"] == ["机关党委"] and len(items["50"]["supporting_units"]) == 15
    assert [items[n].get("group") for n in ("5", "6", "9", "19", "23", "27", "49")] == [
        None, "全面提高教育教学质量", "加快推进教育现代化", "实施党建创优工程", "实施立德树人工程", "实施中小学幼儿园建设扩容增位工程", None]
    assert items["27"]["deadline"] == "2022-12-31" and items["1"]["deadline"] is None
    assert items["27"]["body"].endswith("新改扩建中小学36所、幼儿园34所。")  # the wall's lines are not in the body
    assert _ind(items["3"], "学前三年毛入学率") == (">=", 93.5, "%")
    assert _ind(items["3"], "民办义务教育在校生规模") == ("<=", 5, "%")
    assert _ind(items["4"], "全市一般公共预算教育投入") == (">=", 216, "亿元")
    assert _ind(items["4"], "全市补充师资") == ("~", 4000, "人")
    assert _ind(items["11"], "完成普通高中招生计划") == ("=", 90000, "人")
    assert _ind(items["11"], "大班额比例") == ("<=", 5, "%")
    assert _ind(items["13"], "打造特殊教育名校") == (">=", 2, "所")
    assert _ind(items["50"], "全年培训") == (">=", 10000, "人次")
    assert items["2"]["targets"]["districts"] is True
    assert items["9"]["targets"]["school_types"][0] == "kindergarten"
