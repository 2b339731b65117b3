"""Recognising the numbered lines of a plan (一、 / （一） / 1.) and title-like lines."""

from __future__ import annotations

import re
from dataclasses import dataclass

from plan_svc.parsing.numerals import cn_to_int

_CN = "一二三四五六七八九十"
_PART = re.compile(rf"^第([{_CN}]{{1,3}})(?:部分|章|篇)[、：.]?\s*(.*)$")
_SECTION = re.compile(rf"^([{_CN}]{{1,3}})\s*[、.]\s*(.*)$")
_GROUP = re.compile(rf"^（([{_CN}]{{1,3}})）[、.]?\s*(.*)$")
_ITEM = re.compile(r"^(\d{1,3})\s*[.、](?!\d)\s*(.*)$")
_SUB = re.compile(r"^（(\d{1,2})）[、.]?\s*(.*)$")
_CIRCLE = re.compile(r"^([①-⑳])\s*(.*)$")
# A heading run into its text (一、总体思路坚持以…): the heading ends at one of the words headings end with.
_RUNON = re.compile(r"^([^，。；：、]{2,14}?(?:思想|思路|要求|目标|任务|原则|措施|保障|举措|重点|方向|安排|机制|体系|环境|队伍|工作|建设|发展|改革|质量|治理|水平|能力|服务|管理|领导|党建))"
                    r"(?![，。；：、）”的和与及等])")
SENTENCE_END = "。！？"
TERMINAL = "。！？；：…”）"
PLAN_KINDS = r"(?:工作要点|工作计划|工作安排|工作重点|工作思路|重点工作|工作任务|要点|计划|行动方案|实施方案|工作方案|任务清单|任务分解表|分解表|任务分工|责任分工)"
OTHER_KINDS = r"(?:工作总结|总结|通知|报告|意见|办法|规定|细则|决定|讲话|纪要|通报|批复|公告|简报|述职报告|情况说明|回顾)"
_TRAILING_PAREN = r"(?:（[^（）]{1,20}）)?"
_PLAN_TITLE = re.compile(rf"^(?!关于印发|印发)[^。，；！？：]{{2,58}}{PLAN_KINDS}{_TRAILING_PAREN}$")
_OTHER_TITLE = re.compile(rf"^[^。，；！？：]{{2,58}}{OTHER_KINDS}{_TRAILING_PAREN}$")
APPENDIX = re.compile(r"^附(?:件|表)(?:\s*\d{1,2})?\s*(?:[：:].{0,60})?$|^附(?:件|表)\s*\d{1,2}\s*[.、]?.{0,60}$")
_DATE_LINE = re.compile(r"^[（(]?\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[）)]?(?:印发)?$")
_ORG_LINE = re.compile(r"^(?:中共)?[\u4e00-\u9fffX*]{2,30}(?:局|厅|委员会|委|政府|办公室|办公厅|中心|党组|教育局|学校|大学)$")
_PUBLIC_NOTE = re.compile(r"^[（(](?:此件|本件)[^）)]{0,12}[）)]$")


@dataclass(frozen=True)
class Marker:
    """A numbered line: its level (part/section/group/item/sub), number as printed and as int, and the text after it."""

    kind: str
    label: str
    value: int
    rest: str
    title: str | None = None


def _fits_heading(rest: str) -> bool:
    if not rest or rest[0] in "、，。；：.%" or rest[0].isdigit():
        return False
    stop = min((rest.find(ch) for ch in SENTENCE_END if ch in rest), default=-1)
    return len(rest) <= 60 or 0 < stop <= 40


def run_on_title(rest: str) -> str | None:
    """The heading at the start of a heading line that runs straight into its text, or None."""
    if not rest or rest[0] in "、，。；：.%" or rest[0].isdigit():
        return None
    comma = min((rest.find(ch) for ch in "：；，" if ch in rest), default=-1)
    if 2 <= comma <= 24 and rest[comma] == "：":
        return rest[:comma]
    m = _RUNON.match(rest)
    return m.group(1) if m else None


def classify(line: str) -> Marker | None:
    """The marker that starts this line, if it has one that could be a plan heading or item."""
    for kind, pattern in (("part", _PART), ("section", _SECTION)):
        m = pattern.match(line)
        if m:
            value = cn_to_int(m.group(1))
            rest = m.group(2)
            # 二、主要目标到2024年底，… is short enough for a heading but is a heading run into its text
            head = run_on_title(rest)
            clause = bool(re.match(r"^[^。！？]{25,}", rest)) and "，" in rest
            # …or a heading run into its first numbered item (二、重点工作1.加强…)
            embedded = bool(head) and classify(rest[len(head or ""):]) is not None
            if value and (_fits_heading(rest) and not (head and (clause or embedded)) or kind == "part" and not rest):
                return Marker(kind, m.group(1), value, rest)
            if value and head:
                return Marker(kind, m.group(1), value, rest, head)
            return None
    m = _GROUP.match(line)
    if m:
        value = cn_to_int(m.group(1))
        rest = m.group(2)
        if value and rest and rest[0] not in "、，。；：":
            return Marker("group", m.group(1), value, rest)
        return None
    m = _ITEM.match(line) or _SUB.match(line)
    if m:
        rest = m.group(2)
        value = int(m.group(1))
        if value and rest and not rest[0].isdigit() and rest[0] not in "%.、，。；：-+*":
            return Marker("item" if m.re is _ITEM else "sub", m.group(1), value, rest)
    m = _CIRCLE.match(line)
    if m and m.group(2) and m.group(2)[0] not in "、，。；：":
        return Marker("circle", m.group(1), ord(m.group(1)) - 0x245F, m.group(2))
    return None


def is_plan_title(line: str) -> bool:
    """A line that names a plan (…工作要点 / …工作计划), not the notice that issues it."""
    return 4 <= len(line) <= 70 and bool(_PLAN_TITLE.match(line)) and classify(line) is None


def is_other_title(line: str) -> bool:
    """A line that names another kind of document (工作总结, 通知, 报告 …)."""
    return 4 <= len(line) <= 70 and bool(_OTHER_TITLE.match(line)) and classify(line) is None


def is_signature(line: str) -> bool:
    """A signature, date or publication note line that closes a document."""
    return bool(_DATE_LINE.match(line) or _ORG_LINE.match(line) or _PUBLIC_NOTE.match(line))


def ends_sentence(line: str) -> bool:
    """Whether a line ends where a paragraph may end (not mid-sentence as in a wrapped PDF line)."""
    return bool(line) and line[-1] in TERMINAL
