"""Deadlines stated in an item's text (到2023年底, 6月底前, 年内 …) as ISO dates in the plan's year."""

from __future__ import annotations

import calendar
import re
from datetime import date

_CN_MONTH = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12}
_M = r"(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_PAST = re.compile(r"截[至止]")
_Y = r"(?:(\d{4})年)?"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"(\d{{4}})年{_M}月(\d{{1,2}})日(?:前|之前|以前)"), "ymd"),
    (re.compile(rf"(\d{{4}})年{_M}月(?:底|末|份)?(?:前|之前|以前|完成|底|末)"), "ym_end"),
    (re.compile(r"(?:到|至|于|在)?(\d{4})年(?:底|末|年底|年末)"), "y_end"),
    (re.compile(rf"{_Y}(?:春季|春)(?:学期)?开学(?:前|之前|以前)"), "spring_start"),
    (re.compile(rf"{_Y}(?:秋季|秋)(?:学期)?开学(?:前|之前|以前)"), "autumn_start"),
    (re.compile(r"(\d{4})年春季(?:学期)?(?:末|结束前|前)?|()春季学期(?:末|结束前)|()春季(?:末|前)"), "spring"),
    (re.compile(r"(\d{4})年秋季(?:学期)?(?:末|结束前|前)?|()秋季学期(?:末|结束前)|()秋季(?:末|前)"), "autumn"),
    (re.compile(rf"{_Y}(?:暑假|暑期)(?:前|之前|以前)"), "h1"),
    (re.compile(rf"{_Y}国庆(?:节)?(?:前|之前|以前)"), "q3"),
    (re.compile(rf"{_Y}(?:上半年|年中)"), "h1"),
    (re.compile(rf"{_Y}下半年"), "h2"),
    (re.compile(rf"{_Y}前三季度"), "q3"),
    (re.compile(rf"{_Y}(?:第)?([一二三四1234])季度(?:末|底)?(?:前)?"), "quarter"),
    (re.compile(r"(?:到|至)(\d{4})年(?![\d底末]|\d*月|度)"), "y_end"),
    (re.compile(rf"(?<![\d年]){_M}月(\d{{1,2}})日(?:前|之前|以前)"), "md"),
    (re.compile(rf"(?<![\d年]){_M}月(?:底|末)(?:前|之前|以前)?"), "m_end"),
    (re.compile(rf"(?<![\d年]){_M}月(?:份)?(?:前|之前|以前)"), "m_before"),
    (re.compile(rf"(?<![\d年]){_M}月(上旬|中旬|下旬)(?:前|之前|以前|末)?"), "m_part"),
    (re.compile(r"(?<![\d年])(?:年内|年底前|年底|年末|本年度内|年度内|今年底|今年内)"), "year_end"),
]
# A pattern can only match when its key character is in the text: a cheap test that skips most patterns.
_NEEDS = {"ymd": "年", "ym_end": "年", "y_end": "年", "spring_start": "春", "autumn_start": "秋", "spring": "春", "autumn": "秋",
          "h1": "半暑期中", "h2": "半", "q3": "季国", "quarter": "季", "md": "月", "m_end": "月", "m_before": "月", "m_part": "旬",
          "year_end": "年"}
_OPTIONAL_YEAR = {"spring_start", "autumn_start", "spring", "autumn", "h1", "h2", "q3", "quarter"}


def _month(s: str) -> int:
    return int(s) if s.isdigit() else _CN_MONTH.get(s, 0)


def _end_of(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _one(kind: str, g: tuple[str | None, ...], year: int | None) -> date | None:
    if kind in _OPTIONAL_YEAR:
        year = int(g[0]) if g and g[0] else year
        g = g[1:]
    if year is None and kind not in ("ymd", "ym_end", "y_end"):
        return None
    return _dated(kind, g, year)  # type: ignore[arg-type]


def _dated(kind: str, g: tuple[str, ...], year: int) -> date | None:
    if kind == "ymd":
        return date(int(g[0]), _month(g[1]), int(g[2]))
    if kind == "ym_end":
        return _end_of(int(g[0]), _month(g[1]))
    if kind == "y_end":
        return date(int(g[0]), 12, 31)
    if kind == "md":
        return date(year, _month(g[0]), int(g[1]))
    if kind == "m_end":
        return _end_of(year, _month(g[0]))
    if kind == "m_before":
        month = _month(g[0])
        return _end_of(year, month - 1) if month > 1 else date(year, 1, 1)
    if kind == "year_end":
        return date(year, 12, 31)
    if kind == "h1":
        return date(year, 6, 30)
    if kind == "q3":
        return date(year, 9, 30)
    if kind == "m_part":
        day = {"上旬": 10, "中旬": 20}.get(g[1])
        return date(year, _month(g[0]), day) if day else _end_of(year, _month(g[0]))
    if kind == "spring_start":
        return _end_of(year, 2)
    if kind == "autumn_start":
        return date(year, 8, 31)
    if kind == "spring":
        return date(year, 6, 30)
    if kind == "h2":
        return date(year, 12, 31)
    if kind == "autumn":
        return date(year, 12, 31)
    if kind == "quarter":
        q = "一二三四".find(g[0]) + 1 or int(g[0])
        return _end_of(year, q * 3)
    return None


def find_deadline(text: str, year: int | None) -> str | None:
    """The latest date the text commits to, as YYYY-MM-DD; None when it names none."""
    return find_deadline_text(text, year)[0]


def find_deadline_text(text: str, year: int | None) -> tuple[str | None, str | None]:
    """(ISO date, the words it was read from) for the latest date the text commits to; (None, None) without one."""
    found: list[tuple[date, str]] = []
    taken = bytearray(len(text))  # characters already read as part of a date, so a shorter pattern does not reread them
    for pattern, kind in _PATTERNS:
        if not any(ch in text for ch in _NEEDS[kind]):
            continue
        for m in pattern.finditer(text):
            if taken.find(1, m.start(), m.end()) != -1 or _PAST.search(text, max(0, m.start() - 3), m.start() + 2):
                continue  # 截至2022年底 states a fact about the past, not a deadline
            try:
                d = _one(kind, m.groups(), year)
            except ValueError:
                continue
            if d is None or not 2000 <= d.year <= 2100 or (year is not None and d.year < year):
                continue
            taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
            found.append((d, m.group(0)))
    if not found:
        return None, None
    d, words = max(found, key=lambda x: x[0])
    return d.isoformat(), words
