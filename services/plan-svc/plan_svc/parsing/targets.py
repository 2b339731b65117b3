"""Suggested breakdown of an item: districts or not, which school types — from its text and units."""

from __future__ import annotations

import re
from typing import Any

_DISTRICTS = re.compile(r"各区|各县|各市（?县|区（县|县（市|县（区|区县|县区|县域|县级|区级|区域内|市县|市、县|市区校|市区两级|各地|属地|县管校聘")
_ALL = re.compile(r"各学校|各级各类学校|各类学校|所有学校|全市学校|全体学校|各中小学校?（?幼儿园|中小学幼儿园|各基层学校|各校")
_TYPES: list[tuple[str, re.Pattern[str]]] = [
    ("kindergarten", re.compile(r"幼儿园|学前|幼儿|托育|托班|托位|保教|园所|中小幼|入园")),
    ("primary", re.compile(r"义务教育|小学|中小学|中小幼|小升初|九年一贯|大中小学")),
    ("junior", re.compile(r"义务教育|初中|中小学|中小幼|中考|中招|九年一贯|大中小学")),
    ("senior", re.compile(r"高中|中小学|高考|大中小学|中学")),
    ("vocational", re.compile(r"中职|职业教育|职业学校|职业院校|职教|技工|职校|中等职业|高职|产教融合|校企合作|技能大赛|高中阶段")),
    ("special", re.compile(r"特殊教育|特教|残疾|残障|融合教育|特普|送教上门")),
    ("university", re.compile(r"高校|高等教育|高等学校|大学|本科|研究生|大中小学|高职|学院(?!中心)")),
]
ALL_TYPES = [t for t, _ in _TYPES]


def suggest_targets(text: str, units: list[str]) -> dict[str, Any]:
    """{city, districts, school_types}: the city always; districts and school types when the item addresses them."""
    joined = text + "\n" + "、".join(units)
    # Unit names (高等教育和职业教育处) say who works on it, not which schools it is about, so types read the text only.
    if _ALL.search(joined):
        types = list(ALL_TYPES)
    else:
        types = [t for t, pattern in _TYPES if pattern.search(text)]
    return {"city": True, "districts": bool(_DISTRICTS.search(joined)), "school_types": types}
