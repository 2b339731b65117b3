"""Parse quality on the constructed corpus (tests/data/corpus): every layout of issue 14, scored against hand-written truth."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from duban.cli import app
from plan_svc.parsing import parse_plan_file, parse_plan_text
from plan_svc.parsing.score import load_truth, score_corpus, score_document

CORPUS = Path(__file__).parent / "data" / "corpus"
TRUTH = CORPUS / "truth.json"


def test_corpus_has_a_truth_file_for_at_least_twelve_documents() -> None:
    truth = load_truth(TRUTH)
    assert len(truth) >= 12
    assert all((CORPUS / name).exists() for name in truth)


def test_corpus_meets_the_thresholds() -> None:
    per, total = score_corpus(CORPUS, TRUTH)
    r = total.ratios()
    assert r["item_recall"] >= 0.98 and r["item_precision"] >= 0.98, total.misses
    assert r["unit_accuracy"] >= 0.95, total.misses
    assert r["section_recall"] >= 0.95 and r["section_precision"] >= 0.95, total.misses
    assert r["indicator_recall"] >= 0.9 and r["deadline_recall"] >= 0.9, total.misses
    assert all(sc.items_hit for name, sc in per.items()), "every document yields items"


def test_scorer_counts_misses_and_extras() -> None:
    truth = load_truth(TRUTH)["01_headline_leadin.txt"]
    draft = parse_plan_file((CORPUS / "01_headline_leadin.txt").read_bytes(), "01_headline_leadin.txt")
    draft["sections"][0]["items"].pop(0)
    draft["sections"][1]["items"].append({**draft["sections"][1]["items"][0], "title": "凭空多出的条目"})
    draft["sections"][2]["items"][0]["lead_units"] = ["错误单位"]
    r = score_document(draft, truth).ratios()
    assert r["item_recall"] == round(7 / 8, 4) and r["item_precision"] == round(7 / 8, 4)
    assert r["unit_accuracy"] == round(6 / 7, 4)


def test_score_command_prints_the_figures() -> None:
    res = CliRunner().invoke(app, ["plan", "score", str(CORPUS), str(TRUTH), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out["total"]) >= {"section_recall", "item_recall", "item_precision", "unit_accuracy", "indicator_recall", "deadline_recall"}
    assert len(out["documents"]) >= 12


def _items(draft: dict) -> list[dict]:  # type: ignore[type-arg]
    return [it for s in draft["sections"] for it in s["items"]]


def test_page_break_markers_mid_sentence_are_not_items() -> None:
    text = ("某市教育局2024年工作要点\n一、加强党建\n1.深化理论武装。组织全体党员开展专题学习，推动学习教育\n2、\n"
            "常态化长效化。（责任单位：组织处）\n2.加强作风建设。开展专项整治，推进作风建设\n3、走深走实。（责任单位：纪检组）")
    draft = parse_plan_text(text)
    items = _items(draft)
    assert [it["title"] for it in items] == ["深化理论武装", "加强作风建设"]
    assert "推动学习教育常态化长效化" in items[0]["body"] and "推进作风建设走深走实" in items[1]["body"]
    assert any("分页标记" in w for w in draft["warnings"])


def test_sub_points_stay_in_their_item() -> None:
    text = ("某市教育局2024年工作要点\n一、加强党建\n主题教育走深走实。一是抓好理论学习。二是抓好调查研究。三是抓好整改落实。（责任单位：组织处）\n"
            "基层党建全面过硬。一是建强支部。二是育强队伍。（责任单位：机关党委）")
    items = _items(parse_plan_text(text))
    assert [it["title"] for it in items] == ["主题教育走深走实", "基层党建全面过硬"]
    assert "二是抓好调查研究" in items[0]["body"]


def test_confidence_reasons_and_check_first() -> None:
    draft = parse_plan_file((CORPUS / "10_no_title_cut_off.txt").read_bytes(), "x.txt")
    last = _items(draft)[-1]
    assert last["confidence"] < 0.8 and any("中间结束" in r for r in last["reasons"])
    assert draft["check_first"][0]["number"] == last["number"]
    sure = _items(draft)[0]
    assert sure["confidence"] == 1.0 and sure["reasons"] == []


def test_deadline_keeps_the_documents_words() -> None:
    items = _items(parse_plan_file((CORPUS / "09_counts_deadlines.txt").read_bytes(), "x.txt"))
    got = {(it["deadline"], it["deadline_text"]) for it in items}
    assert {("2025-08-31", "秋季学期开学前"), ("2025-09-30", "三季度末"), ("2026-06-30", "2026年春季")} <= got
    fuzzy = next(it for it in items if it["deadline_text"] == "秋季学期开学前")
    assert any("秋季学期开学前" in r for r in fuzzy["reasons"])


def test_docx_header_text_box_and_nested_table_are_read() -> None:
    draft = parse_plan_file((CORPUS / "11_docx_header_boxes.docx").read_bytes(), "x.docx")
    assert draft["title"] == "苍梧市教育局2024年工作要点"
    titles = [it["title"] for it in _items(draft)]
    assert titles.count("推进美育浸润") == 1  # the box's fallback copy is not read twice
    assert "开展数字素养培训" in titles
