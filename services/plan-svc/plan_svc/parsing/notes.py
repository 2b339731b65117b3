"""Warnings in words a bureau clerk understands: what was skipped, lost, or guessed."""

from __future__ import annotations

import re
from typing import Any

from plan_svc.parsing.document import Layout
from plan_svc.parsing.numerals import int_to_cn
from plan_svc.parsing.residue import Residue
from plan_svc.parsing.structure import IMPLICIT_TITLE, RawSection

_MASK = re.compile(r"\*{2,}|(?<![A-Za-z+\d])[Xx×](?![A-Za-z+\d])")


def _short(s: str, n: int = 24) -> str:
    return s if len(s) <= n else s[:n] + "…"


def _label(number: str) -> str:
    return f"第{number}条"


def _numbering(raw: list[RawSection]) -> list[str]:
    """Gaps in section and item numbers, and where a login wall hid text."""
    out: list[str] = []
    prev_sec: int | None = None
    hidden = False
    for sec in raw:
        if sec.value is None or sec.mode == "sections":
            continue
        if prev_sec is None and sec.value > 1:
            out.append(f"部分编号从“{sec.number}”开始，前面的第{'、'.join(int_to_cn(v) for v in range(1, sec.value))[:40]}部分缺失，原文开头可能不完整。")
        elif prev_sec is not None and sec.value > prev_sec + 1:
            missing = "、".join(int_to_cn(v) for v in range(prev_sec + 1, sec.value))
            why = "（原文此处的内容被网站隐藏）" if hidden or sec.lost_before else ""
            out.append(f"部分编号从“{int_to_cn(prev_sec)}”跳到“{sec.number}”，缺少第{_short(missing, 40)}部分{why}。")
        prev_sec = sec.value
        hidden = any(it.lost_after for it in sec.items)
    prev: tuple[int, str] | None = None
    lost_pending = False
    for sec in raw:
        if sec.lost_before:
            lost_pending = True
            where = f"第{sec.number}部分“{_short(sec.title, 16)}”的开头" if sec.value else "正文开头"
            out.append(f"原文在{where}有一段内容被网站隐藏（需要登录或会员才能查看），这段文字没有导入，请对照原件补录。")
        for it in sec.items:
            if it.headline or it.value is None:
                continue
            if prev is None and it.value > 1:
                out.append(f"条目编号从{it.number}开始，第1—{it.value - 1}条缺失，原文开头可能不完整。")
            elif prev is not None and it.value > prev[0] + 1:
                why = "（原文此处的内容被网站隐藏）" if lost_pending else ""
                span = f"第{prev[0] + 1}条" if it.value == prev[0] + 2 else f"第{prev[0] + 1}—{it.value - 1}条"
                out.append(f"条目编号从{prev[1]}跳到{it.number}，中间的{span}缺失{why}，请对照原件补录。")
            prev, lost_pending = (it.value, it.number), False
            if it.lost_after:
                lost_pending = True
                out.append(f"原文在{_label(it.number)}“{_short(it.first.split('。')[0], 16)}”之后有一段内容被网站隐藏（需要登录或会员才能查看），这段文字没有导入。")
        if sec.orphans:
            out.append(f"被隐藏内容之后有{sec.orphans}行残缺文字不属于任何条目，已跳过。")
    return out


def _layout(lay: Layout, residue: Residue, key_seg: int | None, year: int | None) -> list[str]:
    out: list[str] = []
    if lay.head and lay.notice:
        out.append(f"已跳过文前的印发通知（“{_short(lay.head[0])}”等{len(lay.head)}行），它不是计划正文。")
    elif lay.head:
        out.append(f"已跳过计划标题前的{len(lay.head)}行内容（“{_short(lay.head[0])}”…）。")
    if lay.title_from_notice:
        out.append(f"正文前没有单独的标题，计划标题取自印发通知中的《{lay.title}》。")
    elif not lay.title:
        out.append("没有找到计划标题，已暂定为“未命名计划”，请补充。")
    if year is None:
        out.append("没有找到计划年度；“年内”“6月底前”等期限无法换算成日期，请补充年度。")
    for idx, seg in enumerate(lay.trailing):
        if idx != key_seg:
            name = seg[0] if len(seg) == 1 or not re.fullmatch(r"附(?:件|表)\s*\d*[：:]?", seg[0]) else f"{seg[0].rstrip('：:')}：{seg[1]}"
            out.append(f"已跳过计划正文之后的其他内容“{_short(name, 30)}”（共{len(seg)}行），它不是计划正文。")
    if residue.dropped:
        out.append(f"已忽略网页导航、页码等与计划无关的内容{residue.dropped}行。")
    return out


def _items(raw: list[RawSection], sections: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    items = [it for s in sections for it in s["items"]]
    for r, s in zip(raw, sections):
        if r.is_part:
            pass
        elif r.value is None and s["items"] and r.mode != "sections" and len(raw) > 1:
            out.append(f"{_label(s['items'][0]['number'])}至{_label(s['items'][-1]['number'])}前面没有部分标题（“一、……”），已归入“{IMPLICIT_TITLE}”。")
        elif r.value is None and s["items"] and r.mode != "sections":
            out.append(f"没有找到“一、……”形式的部分标题，全部条目已归入“{IMPLICIT_TITLE}”。")
        if r.mode == "sections":
            out.append("文档只有“一、”一级编号，已把每个部分作为一个条目，请核对。")
        if r.mode == "headline":
            out.append(f"第{r.number}部分“{_short(r.title, 16)}”的条目没有编号，已按每段开头的短句（原文多为加粗小标题）拆分为{len(r.items)}条，请核对拆分是否正确。")
        if not s["items"] and r.value is not None:
            out.append(f"第{r.number}部分“{_short(r.title, 16)}”中没有识别出工作条目。")
    no_units = [it["number"] for it in items if not it["lead_units"]]
    if items and len(no_units) == len(items):
        out.append("所有条目都没有写明牵头或责任单位，请在发布前补充。")
    elif no_units:
        out.append(f"{len(no_units)}个条目没有写明牵头或责任单位：{'、'.join(_label(n) for n in no_units[:10])}{'等' if len(no_units) > 10 else ''}。")
    long_titles = [it["number"] for it in items if it["title"].endswith("…")]
    if long_titles:
        out.append(f"{'、'.join(_label(n) for n in long_titles[:10])}没有用句号分隔的小标题，标题取自第一句的开头，请核对。")
    masked_ind = [it["number"] for it in items if any(i["target"] is None for i in it["indicators"])]
    if masked_ind:
        out.append(f"{'、'.join(_label(n) for n in masked_ind[:10])}中有指标的数值被遮挡（如“****个”），目标值已留空，请补充。")
    masks = sum(len(_MASK.findall(it["title"] + it["body"] + "".join(it["lead_units"] + it["supporting_units"]))) for it in items)
    if masks:
        out.append(f"原文有{masks}处名称或数字被遮挡（“**”“X”等），已原样保留，请对照原件核对。")
    return out


def collect_warnings(lay: Layout, raw: list[RawSection], sections: list[dict[str, Any]], residue: Residue,
                     key_seg: int | None, year: int | None, max_sections: int) -> list[str]:
    """All warnings for a draft, most important first."""
    out = _numbering(raw)
    if residue.walls and not out:
        out.append("原文有内容被网站隐藏（需要登录或会员才能查看），这部分文字没有导入，请对照原件补录。")
    out += _layout(lay, residue, key_seg, year) + _items(raw, sections)
    if len(raw) > max_sections:
        out.append(f"文档有{len(raw)}个部分，只导入了前{max_sections}个。")
    return out
