"""Line breaks the source lost or invented: a plan on one line, headings run into text, page-break markers mid-sentence."""

from __future__ import annotations

import re

from plan_svc.parsing.markers import PLAN_KINDS, TERMINAL
from plan_svc.parsing.residue import LOST

_CN = "一二三四五六七八九十"
# Chinese-numbered headings start a new line wherever they stand; Arabic numbers only after a sentence ends,
# because web pages drop stray "2、" page markers into the middle of sentences.
_BREAK_CN = re.compile(rf"(?<=.)(?=第[{_CN}]{{1,3}}(?:部分|章)|(?<![{_CN}第])[{_CN}]{{1,3}}、(?![{_CN}\d])|（[{_CN}]{{1,3}}）)")
_BREAK_NUM = re.compile(r"(?<=[。；！？）])(?=\d{1,2}[.、](?!\d)|（\d{1,2}）|[①-⑳])")
_LEAD_TITLE = re.compile(rf"^((?!关于印发)[^。，；！？：]{{2,40}}?{PLAN_KINDS})(?=[^。，；！？：（]{{2}})")
_LONE_NUMBER = re.compile(r"^(?:\d{1,3}[、.]?|[-—]\s*\d{1,3}\s*[-—])$")
_PAGE_WORD = re.compile(r"^第?\d{1,3}页(?:[/，,]?共\d{1,3}页)?$")
_PAGE_MARK = re.compile(r"^\d{1,3}[、.](?!\d)")
_INLINE_MARK = re.compile(r"(?<=[\u4e00-\u9fff])(?<!第)\d{1,2}、(?=[\u4e00-\u9fff])")
LONG_LINE = 300
FEW_LINES = 5
FEW_LINES_LONG = 80


def split_run_on(lines: list[str]) -> list[str]:
    """Very long lines cut at the headings and numbered items they swallowed; a leading plan title cut off."""
    out: list[str] = []
    # A document of a handful of lines lost its line breaks; elsewhere only a very long line is suspect.
    limit = FEW_LINES_LONG if len(lines) <= FEW_LINES else LONG_LINE
    for k, line in enumerate(lines):
        if len(line) < limit:
            out.append(line)
            continue
        if k == 0 or not out:
            m = _LEAD_TITLE.match(line)
            if m:
                out.append(m.group(1))
                line = line[m.end():]
        for part in _BREAK_CN.split(line):
            out.extend(p for p in _BREAK_NUM.split(part) if p)
    return out


def _heading_like(line: str) -> bool:
    """A short line with no sentence inside: a heading, which an item may follow without punctuation."""
    return len(line) <= 40 and not any(ch in line for ch in "。；！？")


def drop_page_marks(lines: list[str]) -> tuple[list[str], int]:
    """Body lines without page-break markers that a website put mid-sentence; how many were removed."""
    out: list[str] = []
    removed = 0
    for line in lines:
        prev = out[-1] if out else ""
        mid_sentence = bool(prev) and prev != LOST and prev[-1] not in TERMINAL and not _heading_like(prev)
        if _LONE_NUMBER.match(line):
            removed += 1
            continue
        if _PAGE_WORD.match(line):
            if prev.endswith("第"):
                out[-1] = prev[:-1]  # 第 / 2页 split over two lines
            removed += 1
            continue
        if mid_sentence and _PAGE_MARK.match(line):
            out[-1] = prev + _PAGE_MARK.sub("", line)
            removed += 1
            continue
        cleaned, n = _INLINE_MARK.subn("", line)
        removed += n
        out.append(cleaned)
    return out, removed
