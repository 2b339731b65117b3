"""Indicator arithmetic: counts sum; rates are Σ numerators / Σ denominators, or else weighted by enrolment.

A plain mean of percentages is never taken: a school of 3,000 pupils and one of 30 do not weigh the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LEVEL_NAMES = {"city": "市级", "district": "区县", "school": "学校"}


@dataclass(frozen=True)
class Reported:
    """One unit's latest value of an indicator."""

    unit_id: str
    level: str
    district_id: str | None
    value: float
    numerator: float | None = None
    denominator: float | None = None
    enrolment: int | None = None


@dataclass
class Aggregate:
    """An aggregated actual and how it was obtained."""

    actual: float | None
    aggregation: str  # sum | ratio | weighted_mean | none
    method: str
    reporting_units: int = 0
    excluded_units: int = 0
    numerator: float | None = None
    denominator: float | None = None
    weight: float | None = None
    level: str | None = None
    values: list[Reported] = field(default_factory=list, repr=False)


def _fmt(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.4g}"


def aggregate(kind: str, values: list[Reported], level: str | None = None) -> Aggregate:
    """The actual of one set of unit values (one value per unit)."""
    where = f"{LEVEL_NAMES.get(level or '', '')}填报" if level else "填报"
    n = len(values)
    if n == 0:
        return Aggregate(None, "none", "暂无填报", level=level)
    if kind != "rate":
        total = sum(v.value for v in values)
        return Aggregate(round(total, 4), "sum", f"{where}合计：{n} 个单位之和 = {_fmt(total)}", n, level=level)
    if all(v.numerator is not None and v.denominator for v in values):
        num = sum(v.numerator or 0 for v in values)
        den = sum(v.denominator or 0 for v in values)
        actual = round(num / den * 100, 4)
        return Aggregate(actual, "ratio", f"{where}Σ分子/Σ分母：{_fmt(num)} / {_fmt(den)} = {_fmt(actual)}%（{n} 个单位）", n,
                         numerator=num, denominator=den, level=level)
    weighted = [v for v in values if v.enrolment and v.enrolment > 0]
    missing = n - len(weighted)
    if not weighted:
        return Aggregate(None, "none", f"无法汇总：{n} 个填报单位均缺少在校生数（不取百分比的简单平均）", 0, missing, level=level)
    weight = float(sum(v.enrolment or 0 for v in weighted))
    actual = round(sum(v.value * (v.enrolment or 0) for v in weighted) / weight, 4)
    note = f"；{missing} 个单位缺少在校生数，未计入" if missing else ""
    return Aggregate(actual, "weighted_mean", f"{where}按在校生数加权平均：Σ(比例×在校生数)/Σ在校生数，{len(weighted)} 个单位，"
                     f"在校生合计 {_fmt(weight)} = {_fmt(actual)}%{note}", len(weighted), missing, weight=weight, level=level)


def covering(values: list[Reported]) -> list[Reported]:
    """The values that together cover the plan once: a district's own figure stands for its schools (it covers the
    same pupils), a district that did not report is covered by its schools; city-level figures only when no
    district or school reported (adding them to the districts' would count everything twice)."""
    by_district: dict[str | None, list[Reported]] = {}
    for v in values:
        if v.level != "city":
            by_district.setdefault(v.district_id, []).append(v)
    chosen: list[Reported] = []
    for d, vs in by_district.items():
        own = [v for v in vs if v.level == "district" and d is not None and v.unit_id == d]
        chosen += own or [v for v in vs if v.level == "school"]
    return chosen or [v for v in values if v.level == "city"]


def headline(kind: str, values: list[Reported]) -> tuple[Aggregate, dict[str, Aggregate]]:
    """The headline over the covering values, and each level on its own (levels are never added together)."""
    per = {lv: aggregate(kind, [v for v in values if v.level == lv], lv) for lv in ("city", "district", "school")}
    chosen = covering(values)
    head = aggregate(kind, chosen)
    if chosen and {v.level for v in chosen} == {"district", "school"}:
        head.method += "（已填报的区县取区县数，未填报的区县取其学校数）"
    elif chosen:
        head.level = chosen[0].level
    return head, per


def is_met(comparator: str, target: float | None, actual: float | None) -> bool | None:
    """Whether the actual reaches the target; None when either is missing or the target is approximate."""
    if target is None or actual is None:
        return None
    if comparator == ">=":
        return actual >= target
    if comparator == "<=":
        return actual <= target
    if comparator == "=":
        return abs(actual - target) < 1e-9
    return None


def attainment(comparator: str, target: float | None, actual: float | None) -> float | None:
    """How far the actual is toward the target (1.0 = reached; may exceed 1.0)."""
    if target is None or actual is None or comparator == "~":
        return None
    if comparator == ">=":
        return round(actual / target, 4) if target > 0 else None
    if comparator == "<=":
        return 1.0 if actual <= 0 else round(target / actual, 4)
    return round(max(0.0, 1 - abs(actual - target) / abs(target)), 4) if target else None
