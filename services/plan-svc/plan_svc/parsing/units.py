"""Responsibility clauses — （责任单位：…）, （牵头处室：…。责任处室：…） — split into lead and supporting units."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ROLE = r"(?:牵头|主责|主办|承办|主要责任|责任|协同配合|配合|协办|参与|协同|协助|实施)"
_KIND = r"(?:单位|处室|科室|股室|部门|领导|处|科|股)"
# 责任处室、单位（按处室、单位顺序排列，下同）： is one label with a note.
_LABEL_TEXT = rf"({_ROLE}{_KIND}(?:、{_KIND})?)(?:（[^（）]{{0,30}}）)?\s*[：:]"
_LABEL = re.compile(_LABEL_TEXT)
_OPEN = re.compile(rf"[（【\[]\s*(?={_LABEL_TEXT})")
_LINE = re.compile(rf"^[（【\[]?\s*{_LABEL_TEXT}")
_SPLIT = re.compile(r"[、，,；;/／]+")
_PAIRS = {"（": "）", "【": "】", "[": "]"}
_LEAD_ROLES = ("牵头", "主责", "主办", "承办", "主要责任")


@dataclass
class Units:
    """Who is responsible for an item."""

    lead: list[str] = field(default_factory=list)
    supporting: list[str] = field(default_factory=list)
    leaders: list[str] = field(default_factory=list)
    found: bool = False
    own_line: bool = False


_SPLIT_LABEL = re.compile(r"([（【\[][^（）【】\[\]\n]{0,12})\n([^\n]{0,16})")


def _join_split_labels(text: str) -> str:
    """A clause label wrapped over two lines by a PDF (（责任股\n室：…）) joined again."""
    def repl(m: re.Match[str]) -> str:
        joined = m.group(1) + m.group(2)
        return joined if _OPEN.match(joined) else m.group(0)
    return _SPLIT_LABEL.sub(repl, text) if "\n" in text else text


def is_unit_line(line: str) -> bool:
    """A line that only states who is responsible (责任单位：… on its own line)."""
    return bool(_LINE.match(line))


def break_after_clauses(text: str) -> str:
    """Text with a line break after every bracketed responsibility clause that runs into the next sentence."""
    out: list[str] = []
    pos = 0
    for m in _OPEN.finditer(text):
        if m.start() < pos:
            continue
        end = _close(text, m.start()) + 1
        out.append(text[pos:end])
        if end < len(text) and text[end] not in "。；！？\n":
            out.append("\n")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _close(text: str, i: int) -> int:
    """Index of the bracket closing the one at i (nested brackets allowed), or len(text)."""
    depth = 0
    for j in range(i, len(text)):
        ch = text[j]
        if ch in _PAIRS:
            depth += 1
        elif ch in _PAIRS.values():
            depth -= 1
            if depth == 0:
                return j
    return len(text)


def split_units(raw: str) -> list[str]:
    """'基教科、教研中心，各学校' -> ['基教科', '教研中心', '各学校'] (brackets inside a name kept whole)."""
    out: list[str] = []
    depth = 0
    cur = ""
    for ch in raw:
        if ch in "（《“":
            depth += 1
        elif ch in "）》”":
            depth -= 1
        if depth <= 0 and _SPLIT.fullmatch(ch):
            out.append(cur)
            cur = ""
            depth = 0
        else:
            cur += ch
    out.append(cur)
    cleaned = []
    for u in out:
        u = u.strip(" 。．.：:").removeprefix("由")
        u = re.sub(r"(?:等|等单位|等部门|牵头|配合|负责)$", "", u)
        if u and u not in cleaned and len(u) <= 60:
            cleaned.append(u)
    return cleaned


def _parse_clause(content: str, units: Units) -> None:
    content = content.replace("\n", "")  # a clause wrapped over two lines is still one clause
    labels = list(_LABEL.finditer(content))
    for k, m in enumerate(labels):
        end = labels[k + 1].start() if k + 1 < len(labels) else len(content)
        names = split_units(content[m.end():end])
        role = m.group(1)
        if role.endswith("领导"):
            units.leaders += [n for n in names if n not in units.leaders]
        elif role.startswith(_LEAD_ROLES):
            units.lead += [n for n in names if n not in units.lead]
        elif role.startswith("责任") and not units.lead and not any(lab.group(1).startswith(_LEAD_ROLES) for lab in labels):
            units.lead += names[:1]
            units.supporting += [n for n in names[1:] if n not in units.supporting]
        else:
            units.supporting += [n for n in names if n not in units.supporting]
    units.found = units.found or bool(labels)


def _tail_start(text: str) -> int | None:
    """Start of an unbracketed clause closing the text (…。责任单位：甲、乙), or None."""
    body = text.rstrip(" \n。；")
    end = len(body)
    start = None
    for lab in reversed(list(_LABEL.finditer(body, max(0, len(body) - 600)))):
        content = body[lab.end():end]
        if not content.strip() or len(content) > 200 or "。" in content:
            break
        before = body[:lab.start()].rstrip(" \n")
        if before and before[-1] not in "。；！？":
            break
        start = lab.start()
        end = len(before) - 1 if before else 0
    return start


def extract_units(text: str) -> tuple[str, Units]:
    """The text without its responsibility clauses, and the units they named."""
    units = Units()
    text = _join_split_labels(text)
    kept: list[str] = []
    for line in text.split("\n"):
        if is_unit_line(line) and not line.lstrip().startswith(("（", "【", "[")):
            _parse_clause(line, units)  # responsibility on a line of its own, after the item's paragraphs
            units.own_line = True
        else:
            kept.append(line)
    text = "\n".join(kept)
    pieces: list[str] = []
    pos = 0
    for m in _OPEN.finditer(text):
        if m.start() < pos:
            continue
        end = _close(text, m.start())
        _parse_clause(text[m.end():end], units)
        pieces.append(text[pos:m.start()])
        pos = end + 1
    pieces.append(text[pos:])
    rest = "".join(pieces)
    start = _tail_start(rest)
    if start is not None:
        _parse_clause(rest[start:], units)
        rest = rest[:start]
    units.supporting = [u for u in units.supporting if u not in units.lead]
    return rest.rstrip(" \n"), units
