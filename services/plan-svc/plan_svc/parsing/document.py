"""Where the plan is inside the document: cover notice before it, other documents and appendices after it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plan_svc.parsing.markers import (
    APPENDIX,
    classify,
    ends_sentence,
    is_other_title,
    is_plan_title,
    is_signature,
)
from plan_svc.parsing.residue import LOST

_NOTICE = re.compile(r"通知|印发|转发|^各.{1,60}[：:]$|局属各单位|直属各单位|遵照执行")
_QUOTED_TITLE = re.compile(r"《([^《》]{4,60}?(?:工作要点|工作计划|工作安排|工作重点|要点|计划|方案))》")
_KEY_HEADER = re.compile(r"^序号")


@dataclass
class Layout:
    """The parts of a document around the plan proper."""

    title: str | None = None
    title_from_notice: bool = False
    head: list[str] = field(default_factory=list)
    notice: bool = False
    preamble: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    trailing: list[list[str]] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)


def _first_structure(lines: list[str], start: int) -> int:
    for i in range(start, len(lines)):
        if lines[i] != LOST and classify(lines[i]) is not None:
            return i
    return len(lines)


def _title_index(lines: list[str]) -> int | None:
    """The plan's own title: the last title-like line before the first numbered heading that follows a title."""
    candidates = [i for i, line in enumerate(lines[:400]) if line != LOST and is_plan_title(line)]
    if not candidates:
        return None
    first_struct = _first_structure(lines, candidates[0] + 1)
    before = [i for i in candidates if i < first_struct]
    return before[-1] if before else None


def _is_boundary(lines: list[str], i: int) -> bool:
    """Whether line i starts something that is not the plan: an appendix, a key-task table, another document."""
    line = lines[i]
    if line == LOST:
        return False
    if APPENDIX.match(line) or _KEY_HEADER.match(line) and len(line) <= 40 and not ends_sentence(line):
        return True
    prev_ok = i == 0 or lines[i - 1] == LOST or ends_sentence(lines[i - 1]) or is_signature(lines[i - 1])
    return prev_ok and (is_other_title(line) or is_plan_title(line)) and i + 1 < len(lines)


def _restart(lines: list[str], start: int) -> int:
    """Index where a second document starts its own 一、 numbering after the plan's sections, else len(lines)."""
    last = 0
    for i in range(start, len(lines)):
        m = classify(lines[i]) if lines[i] != LOST else None
        if m is not None and m.kind == "part":
            last = 0
        if m is None or m.kind != "section":
            continue
        if m.value == 1 and last >= 2:
            j = i
            while j > start and not ends_sentence(lines[j - 1]) and classify(lines[j - 1]) is None and len(lines[j - 1]) <= 40:
                j -= 1
            return j
        last = m.value
    return len(lines)


def split_document(lines: list[str]) -> Layout:
    """Find the plan's title and body, and set aside the notice before it and whatever follows it."""
    lay = Layout()
    t = _title_index(lines)
    start = _first_structure(lines, (t + 1) if t is not None else 0)
    table = next((i for i in range((t + 1) if t is not None else 0, start) if _KEY_HEADER.match(lines[i]) and len(lines[i]) <= 40), None)
    if table is not None:
        start = len(lines)  # the document is a task table: its 一、 rows are table rows, not the plan's sections
    head_end = t if t is not None else start
    lay.head = [x for x in lines[:head_end] if x != LOST]
    lay.notice = any(_NOTICE.search(x) for x in lay.head)
    if t is not None:
        lay.title = lines[t]
        if t > 0 and _joins_title(lines[t - 1], lines[t]):
            lay.title = lines[t - 1] + lines[t]
            lay.head = lay.head[:-1]
    else:
        for x in lay.head:
            m = _QUOTED_TITLE.search(x)
            if m:
                lay.title, lay.title_from_notice = m.group(1), True
                break
    if lay.title:
        lay.head = [x for x in lay.head if x != lay.title]  # a web page prints the title two or three times
    if t is not None:
        # A PDF's running header repeats the title on every page; inside the body it is furniture, not a new document.
        lines = lines[:t + 1] + [x for x in lines[t + 1:] if x != lines[t]]
    lay.signatures = [x for x in lay.head if is_signature(x)]
    lay.preamble = [x for x in lines[(t + 1) if t is not None else start:start] if x != LOST]
    if t is None and not lay.notice:
        lay.preamble, lay.head = lay.head + lay.preamble, []  # no title: what precedes the first heading is the lead-in
    end = next((i for i in range(start + 1, len(lines)) if _is_boundary(lines, i)), len(lines))
    end = min(end, _restart(lines, start))
    body = lines[start:end]
    while body and is_signature(body[-1]):
        lay.signatures.append(body.pop())
    lay.body = body
    rest = lines[end:]
    seg: list[str] = []
    for i, line in enumerate(rest):
        if seg and _has_content(seg) and (_strong_title(line) if _in_table(seg) else _is_boundary(rest, i)):
            lay.trailing.append(seg)
            seg = []
        if line != LOST:
            seg.append(line)
    if seg:
        lay.trailing.append(seg)
    return lay


def _joins_title(prev: str, title: str) -> bool:
    """An issuer line printed above the title on its own (某市教育局 / 2023年工作要点)."""
    return bool(re.match(r"^\d{4}年", title)) and len(prev) <= 30 and bool(re.search(r"(?:局|厅|委员会|委|政府|学校)$", prev))


def _in_table(seg: list[str]) -> bool:
    """A key-task table runs on until its segment ends; titles inside its cells do not split it."""
    return any(_KEY_HEADER.match(x) for x in seg[:6])


def _strong_title(line: str) -> bool:
    """A document title that names its year or issuer, strong enough to end a table."""
    return is_other_title(line) and len(line) >= 8 and bool(re.search(r"\d{4}年|局|厅|委员会|政府", line))


def _has_content(seg: list[str]) -> bool:
    """Whether a trailing segment has more than an appendix label and a title (so a new boundary starts a new part)."""
    return len(seg) > 3 or any(ends_sentence(x) or len(x) > 40 for x in seg)
