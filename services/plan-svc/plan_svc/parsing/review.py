"""Per-item confidence with its reasons, and the list of items a reviewer should check first."""

from __future__ import annotations

import re
from typing import Any

# How much each doubt lowers an item's confidence (multiplicatively, so later doubts can be added).
WEIGHTS = {
    "headline": 0.3, "sections_as_items": 0.25, "long_title": 0.2, "no_units": 0.25, "section_units": 0.05,
    "unit_line": 0.0, "gap": 0.15, "lost_after": 0.3, "cut_off": 0.35, "fuzzy_deadline": 0.05, "masked": 0.2,
    "long_body": 0.15, "circle": 0.0, "unit_alias": 0.02, "unit_guess": 0.1, "unit_unresolved": 0.2, "lead_in": 0.05,
}
CHECK_BELOW = 0.8
MAX_CHECK = 30
_EXPLICIT_DATE = re.compile(r"[\d一二三四五六七八九十]{1,2}月(?:\d{1,2}日|底|末)|\d{4}年\d{1,2}月|年底|年末|年内|\d{4}年(?:底|末)?$")
_MASK = re.compile(r"\*{2,}")


# Reasons about units, which an edit of the item's units makes stale.
UNIT_REASONS = ("没有写明牵头或责任单位", "单位按别名对应", "单位按简称推断", "单位未能对应到名录", "责任单位取自")
_PREFIX_CODES = (("原文没有编号", "headline"), ("原文只有", "sections_as_items"), ("没有用句号", "long_title"),
                 ("没有写明牵头", "no_units"), ("责任单位取自部分", "section_units"), ("前面的条目编号", "gap"),
                 ("条目之后有一段", "lost_after"), ("原文在这一条", "cut_off"), ("时限“", "fuzzy_deadline"), ("有被网站遮挡", "masked"),
                 ("条目很长", "long_body"), ("单位按别名", "unit_alias"), ("单位按简称", "unit_guess"), ("单位未能对应", "unit_unresolved"),
                 ("部分开头的导语", "lead_in"))


def rescore(item: dict[str, Any], reasons: list[str]) -> None:
    """Set an item's reasons anew and its confidence from them (after an edit removed some doubts)."""
    item["reasons"], item["confidence"] = [], 1.0
    for text in reasons:
        code = next((c for prefix, c in _PREFIX_CODES if text.startswith(prefix)), None)
        if code is None:
            item["reasons"].append(text)
        else:
            add(item, code, text)


def add(item: dict[str, Any], code: str, text: str) -> None:
    """Record one reason on an item and lower its confidence by the reason's weight."""
    item.setdefault("reasons", [])
    if text in item["reasons"]:
        return
    item["reasons"].append(text)
    item["confidence"] = round(item.get("confidence", 1.0) * (1 - WEIGHTS[code]), 2)


def content_reasons(item: dict[str, Any]) -> None:
    """Doubts that can be read off the finished item itself."""
    item.setdefault("confidence", 1.0)
    item.setdefault("reasons", [])
    if not item.get("lead_units"):
        add(item, "no_units", "没有写明牵头或责任单位")
    if item["title"].endswith("…"):
        add(item, "long_title", "没有用句号分隔的小标题，标题取自第一句的开头")
    words = item.get("deadline_text")
    if words and item.get("deadline") and not _EXPLICIT_DATE.search(words):
        add(item, "fuzzy_deadline", f"时限“{words}”已按惯例换算为{item['deadline']}")
    if any(i.get("target") is None for i in item.get("indicators", [])) or _MASK.search(item["title"] + item["body"]):
        add(item, "masked", "有被网站遮挡的名称或数值")
    if len(item.get("body", "")) > 1500:
        add(item, "long_body", "条目很长，可能包含应当拆开的几个条目")


def check_first(sections: list[dict[str, Any]], key: str = "number") -> list[dict[str, Any]]:
    """Items below the confidence threshold, least sure first, with where they are and why."""
    found = []
    for s in sections:
        for it in s["items"]:
            c = it.get("confidence", 1.0)
            if c is not None and c < CHECK_BELOW:
                entry = {"section": s.get("number", ""), "number": it.get("number", ""), "title": it["title"][:60],
                         "confidence": c, "reasons": list(it.get("reasons") or [])}
                if key == "id" and it.get("id"):
                    entry["item_id"] = it["id"]
                found.append(entry)
    found.sort(key=lambda e: e["confidence"])
    return found[:MAX_CHECK]
