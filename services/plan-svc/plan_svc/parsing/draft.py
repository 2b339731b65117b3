"""Assemble the draft (plan-draft.schema.json) from the document's parts."""

from __future__ import annotations

import re
from typing import Any

from plan_svc.parsing import review
from plan_svc.parsing.deadlines import find_deadline_text
from plan_svc.parsing.document import Layout, split_document
from plan_svc.parsing.errors import PlanParseError
from plan_svc.parsing.headlines import join_lines
from plan_svc.parsing.indicators import find_indicators
from plan_svc.parsing.keytasks import parse_key_tasks
from plan_svc.parsing.markers import SENTENCE_END, TERMINAL, classify
from plan_svc.parsing.normalize import CJK_CHAR, normalize_text
from plan_svc.parsing.notes import collect_warnings
from plan_svc.parsing.reflow import drop_page_marks, split_run_on
from plan_svc.parsing.residue import LOST, strip_residue
from plan_svc.parsing.structure import RawItem, RawSection, build_sections
from plan_svc.parsing.targets import suggest_targets
from plan_svc.parsing.units import extract_units

MAX_TEXT_CHARS = 5_000_000
MAX_SECTIONS = 200
_ISSUER = re.compile(r"^(?:中共)?.{1,30}?(?:教育和体育局|教育体育局|教体局|教育局|教育厅|教育委员会|教委|人民政府|委员会|局|厅|委|政府|办公室|学校|大学|学院)")
_YEAR = re.compile(r"(20\d{2}|19\d{2})\s*年")


def _issuer(lay: Layout) -> str | None:
    if lay.title:
        m = _YEAR.search(lay.title)
        head = lay.title[:m.start()] if m else re.split(r"关于|工作|年度", lay.title)[0]
        im = _ISSUER.match(head)
        if im and im.group(0) == head.strip():
            return head.strip()
        after = re.match(r"^\d{4}\s*年(?:度)?(.{2,30}?)(?:工作|教育工作|年度)", lay.title)
        if after and _ISSUER.match(after.group(1)) and _ISSUER.match(after.group(1)).group(0) == after.group(1):
            return after.group(1)
    orgs = [s for s in lay.signatures if not re.search(r"\d", s) and not s.startswith("（")]
    return orgs[0] if orgs else None


def _year(lay: Layout) -> int | None:
    for source in [lay.title or "", *lay.signatures, "".join(lay.preamble)[:200], "".join(lay.head)[:400]]:
        m = _YEAR.search(source)
        if m and 1990 <= int(m.group(1)) <= 2100:
            return int(m.group(1))
    return None


def split_title(first: str, lines: list[str]) -> tuple[str, str]:
    """(title, body): the first sentence of the item, or its first line when that line is a heading of its own."""
    stops = [first.find(ch) for ch in SENTENCE_END if ch in first]
    colon = first.find("：")
    if 0 < colon <= 30 and (not stops or colon < min(stops)):
        stops = [colon]
    rest = join_lines(lines)
    if stops and min(stops) <= 80:
        p = min(stops)
        return first[:p], join_lines([x for x in (first[p + 1:], rest) if x])
    if len(first) <= 40 or not rest:
        return first, rest
    joined = join_lines([first, rest])
    stops = [joined.find(ch) for ch in SENTENCE_END if ch in joined]
    if stops and min(stops) <= 80:
        p = min(stops)
        return joined[:p], joined[p + 1:]
    clause = re.split(r"[，；]", joined, maxsplit=1)[0]
    return (clause if len(clause) <= 60 else clause[:60] + "…"), joined


def build_item(raw: RawItem, year: int | None, mode: str = "numbered") -> dict[str, Any]:
    """One schema item from raw text: units out of the body, title, deadline, indicators, targets."""
    if raw.headline:
        text, units = extract_units(join_lines(raw.lines))
        title, body = raw.first, text
    else:
        text, units = extract_units("\n".join([raw.first, *raw.lines]))
        first, _, rest = text.partition("\n")
        title, body = split_title(first, [x for x in rest.split("\n") if x])
    title = title.strip().rstrip("。！？；：，、 ") or "（无标题）"
    body = body.strip()
    whole = title + "。" + body
    deadline, deadline_text = find_deadline_text(whole, year)
    item: dict[str, Any] = {
        "number": raw.number[:16], "title": title[:500], "body": body[:20000],
        "lead_units": units.lead, "supporting_units": units.supporting,
        "deadline": deadline, "deadline_text": deadline_text, "indicators": find_indicators(whole),
        "targets": suggest_targets(whole, units.lead + units.supporting), "group": raw.group,
        "confidence": 1.0, "reasons": [],
    }
    if units.leaders:
        item["leaders"] = units.leaders
    if raw.headline:
        review.add(item, "headline", "原文没有编号，按段首的小标题句拆分")
    if mode == "sections":
        review.add(item, "sections_as_items", "原文只有“一、”一级编号，整个部分作为一个条目")
    if raw.lost_after:
        review.add(item, "lost_after", "条目之后有一段内容被网站隐藏，没有导入")
    if units.own_line:
        review.add(item, "unit_line", "责任单位取自条目之后单独的一行")
    return item


def _section(sec: RawSection, year: int | None) -> dict[str, Any]:
    title, units = extract_units(sec.title)
    items = [build_item(it, year, sec.mode) for it in sec.items]
    if units.lead or units.supporting:
        # 一、…（牵头处室：…）: the section's clause holds for the items that name no units of their own
        for it in items:
            if not it["lead_units"] and not it["supporting_units"]:
                it["lead_units"], it["supporting_units"] = list(units.lead), list(units.supporting)
                review.add(it, "section_units", "责任单位取自部分标题的括注")
    prev: int | None = None
    for raw, it in zip(sec.items, items):
        if raw.value is not None and not raw.headline and prev is not None and raw.value > prev + 1:
            review.add(it, "gap", f"前面的条目编号不连续（从{prev}跳到{raw.value}）")
        prev = raw.value if raw.value is not None else prev
        review.content_reasons(it)
    if sec.mode == "headline" and sec.intro and items:
        review.add(items[0], "lead_in", "部分开头的导语没有作为条目，请确认第一条从哪里开始")
    out: dict[str, Any] = {"number": sec.number[:16], "title": (title.rstrip("。！？；：，、 ") or sec.title or "（无标题）")[:300], "items": items}
    if sec.part:
        out["part"] = sec.part[:300]
    intro = join_lines(sec.intro).strip()
    if intro:
        out["intro"] = intro[:5000]
    return out


def _meta_issuer(meta: dict[str, str]) -> str | None:
    """The page's 发布机构 when the plan names no issuer."""
    value = meta.get("发布机构") or meta.get("发文机关")
    return value[:200] if value and _ISSUER.match(value) else None


def _meta_year(meta: dict[str, str]) -> int | None:
    """The year of the page's 成文日期 / 发布日期 when the plan itself names none."""
    for key in ("成文日期", "发布日期", "生成日期", "发布时间", "日期"):
        m = re.match(r"(20\d{2})", meta.get(key, ""))
        if m:
            return int(m.group(1))
    return None


def _cut_off(body: list[str], sections: list[dict[str, Any]]) -> str | None:
    """The number of the last item when the document stops mid-sentence (text cut off at the end), else None."""
    items = [it for s in sections for it in s["items"]]
    last = next((x for x in reversed(body) if x != LOST), "")
    heading = classify(last) is not None and len(last) <= 40 and not any(ch in last for ch in SENTENCE_END)
    if not items or len(last) < 10 or last[-1] in TERMINAL or heading:
        return None
    review.add(items[-1], "cut_off", "原文在这一条的句子中间结束，内容可能不完整")
    return items[-1]["number"]


def build_draft(text: str) -> dict[str, Any]:
    """The whole draft for a document's text; PlanParseError when no plan structure is found."""
    if len(text) > MAX_TEXT_CHARS:
        raise PlanParseError("file_too_large", "文本过长（超过 500 万字），无法导入")
    lines = normalize_text(text)
    if not lines:
        raise PlanParseError("empty_file", "文件没有文字内容")
    if not CJK_CHAR.search(text):
        raise PlanParseError("no_plan_structure", "文件中没有中文内容，看不出是一份工作计划")
    lines, residue = strip_residue(split_run_on(lines))
    lay = split_document(lines)
    lay.body, page_marks = drop_page_marks(lay.body)
    year = _year(lay) or _meta_year(residue.meta)
    raw_sections, left_out = build_sections(lay.body) if lay.body else ([], [])
    sections = [_section(s, year) for s in raw_sections[:MAX_SECTIONS]]
    key_tasks: list[dict[str, Any]] = []
    kt_warnings: list[str] = []
    key_seg: int | None = None
    for idx, seg in enumerate([*lay.trailing, lay.preamble]):
        found, warns = parse_key_tasks(seg, year)
        if found and key_seg is None:
            key_tasks, kt_warnings, key_seg = found, warns, idx
    if not any(s["items"] for s in sections) and not key_tasks:
        raise PlanParseError("no_plan_structure", "没有识别出计划的结构（如“一、”部分、“（一）”或“1.”条目、重点工作任务表），请确认上传的是工作计划或工作要点")
    cut = _cut_off(lay.body, sections)
    warnings = collect_warnings(lay, raw_sections, sections, residue, key_seg, year, MAX_SECTIONS) + kt_warnings
    if page_marks:
        warnings.append(f"已去掉正文句子中间的网页分页标记（如单独的“2、”或页码）{page_marks}处。")
    if cut:
        warnings.append(f"原文在第{cut}条的句子中间结束，文字可能不完整，请对照原件核对。")
    if key_tasks and not any(s["items"] for s in sections):
        warnings.append("正文中没有识别出部分和条目，只解析了重点工作任务表。")
    for sec in left_out:
        what = f"第{sec.number}部分“{sec.title[:16]}”" if sec.is_part else "第一个部分标题之前"
        if sec.intro:
            warnings.append(f"{what}只有说明文字、没有工作条目，未作为部分导入。")
    draft: dict[str, Any] = {
        "title": (lay.title or "未命名计划")[:300], "issuer": _issuer(lay) or _meta_issuer(residue.meta), "year": year,
        "sections": sections, "key_tasks": key_tasks, "warnings": warnings, "check_first": review.check_first(sections),
    }
    if key_seg == len(lay.trailing):  # the table stood before any heading: it is not part of the lead-in
        lay.preamble = lay.preamble[:next(i for i, x in enumerate(lay.preamble) if x.startswith("序号"))]
    preamble = join_lines(lay.preamble).strip()
    if preamble:
        draft["preamble"] = preamble[:20000]
    return draft
