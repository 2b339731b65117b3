"""Which fields of an item changed between two versions, and how a person reads each value."""

from __future__ import annotations

from datetime import date
from typing import Any

from duban_shared.events.catalogue import PlanItemSnapshot

SCHOOL_TYPES = {"kindergarten": "幼儿园", "primary": "小学", "junior": "初中", "senior": "高中", "vocational": "中职",
                "special": "特殊教育", "university": "高校"}
LABELS = {"title": "标题", "body": "内容", "lead_units": "牵头单位", "supporting_units": "配合单位", "deadline": "完成时限",
          "targets": "下发对象", "indicators": "指标", "number": "编号", "section_title": "所属部分"}
COMPARATORS = {">=": "≥", "<=": "≤", "=": "=", "~": "约"}


def _targets(item: PlanItemSnapshot) -> str:
    t = item.targets
    parts = ["市级"] if t.city else []
    if t.districts:
        parts.append("区县")
    if t.school_types:
        parts.append("、".join(SCHOOL_TYPES.get(k, k) for k in t.school_types))
    if t.units:
        parts.append(f"指定单位{len(t.units)}个")
    return " + ".join(parts) or "不下发"


def _indicators(item: PlanItemSnapshot) -> str:
    shown = [f"{i.name}{COMPARATORS.get(i.comparator, i.comparator)}{'未定' if i.target is None else f'{i.target:g}'}{i.unit}"
             for i in item.indicators]
    return "；".join(shown) or "—"


def _deadline(item: PlanItemSnapshot, default: date | None) -> str:
    if item.deadline:
        return item.deadline.isoformat()
    return f"{default.isoformat()}（默认年底）" if default else "未定"


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def value(field: str, item: PlanItemSnapshot, default: date | None) -> str:
    """One field of an item as text."""
    match field:
        case "targets":
            return _targets(item)
        case "indicators":
            return _indicators(item)
        case "deadline":
            return _deadline(item, default)
        case "lead_units" | "supporting_units":
            return "、".join(getattr(item, field)) or "—"
        case "body":
            return _short(item.body) or "—"
    return str(getattr(item, field) or "—")


def _comparable(field: str, item: PlanItemSnapshot, default: date | None) -> Any:
    if field == "indicators":  # an edit gives indicators new ids: compare what they say
        return [i.model_dump(exclude={"id"}) for i in item.indicators]
    if field == "deadline":  # the date the tasks get: a changed plan year moves undated items
        return item.deadline or default
    if field == "targets":
        return item.targets.model_dump()
    return getattr(item, field)


def changed_fields(old: PlanItemSnapshot, new: PlanItemSnapshot, old_default: date | None, new_default: date | None) -> list[str]:
    """The fields whose meaning differs between the versions, in a fixed order."""
    return [f for f in LABELS if _comparable(f, old, old_default) != _comparable(f, new, new_default)]


def details(fields: list[str], old: PlanItemSnapshot, new: PlanItemSnapshot, old_default: date | None,
            new_default: date | None) -> list[dict[str, str]]:
    """Before and after of each changed field."""
    return [{"field": f, "label": LABELS[f], "before": value(f, old, old_default), "after": value(f, new, new_default)} for f in fields]
