"""Indicator arithmetic with hand-computed expectations: sums, Σ numerators / Σ denominators, enrolment weights."""

from __future__ import annotations

import pytest

from report_svc.reports.arithmetic import Reported, aggregate, attainment, covering, headline, is_met


def _school(uid: str, value: float, enrolment: int | None = None, num: float | None = None, den: float | None = None, district: str = "d1") -> Reported:
    return Reported(uid, "school", district, value, num, den, enrolment)


def test_counts_are_summed() -> None:
    """新增学位: 120 + 80 + 45 = 245."""
    a = aggregate("count", [_school("a", 120), _school("b", 80), _school("c", 45)])
    assert (a.actual, a.aggregation, a.reporting_units) == (245, "sum", 3)
    assert "245" in a.method


def test_rates_with_numerators_and_denominators_are_ratio_of_sums() -> None:
    """540/600 (90%), 300/400 (75%), 100/200 (50%): Σ = 940/1200 = 78.3333%, not the plain mean 71.67%."""
    a = aggregate("rate", [_school("a", 90, 1200, 540, 600), _school("b", 75, 800, 300, 400), _school("c", 50, 300, 100, 200)])
    assert (a.actual, a.aggregation, a.numerator, a.denominator) == (78.3333, "ratio", 940, 1200)
    assert a.actual != round((90 + 75 + 50) / 3, 4)
    assert "940 / 1200" in a.method


def test_rates_without_denominators_are_weighted_by_enrolment() -> None:
    """90% of 1200, 75% of 800, 50% of 300: (108000 + 60000 + 15000) / 2300 = 79.5652%."""
    a = aggregate("rate", [_school("a", 90, 1200), _school("b", 75, 800), _school("c", 50, 300)])
    assert (a.actual, a.aggregation, a.weight) == (79.5652, "weighted_mean", 2300)
    assert "加权" in a.method


def test_one_unit_without_numerators_switches_all_to_enrolment_weights() -> None:
    """Mixing ratio units and value-only units would mix bases: all are weighed by enrolment then."""
    a = aggregate("rate", [_school("a", 90, 1200, 540, 600), _school("b", 75, 800)])
    assert (a.actual, a.aggregation) == (round((90 * 1200 + 75 * 800) / 2000, 4), "weighted_mean")  # 84.0


def test_units_without_enrolment_are_left_out_and_said_so() -> None:
    """No weight, no share: 90% of 1000 and 60% of an unknown size give 90%, with one unit excluded."""
    a = aggregate("rate", [_school("a", 90, 1000), _school("b", 60, None)])
    assert (a.actual, a.reporting_units, a.excluded_units) == (90.0, 1, 1)
    assert "1 个单位缺少在校生数" in a.method
    none = aggregate("rate", [_school("b", 60, None)])
    assert (none.actual, none.aggregation) == (None, "none")


def test_a_district_figure_stands_for_its_schools() -> None:
    """D1 reported 300 itself (its schools' 100 + 50 are inside it); D2 did not, so its schools' 70 count: 370.
    A city department's 9999 is not added to the districts'."""
    values = [
        Reported("d1", "district", "d1", 300), _school("s1", 100, district="d1"), _school("s2", 50, district="d1"),
        _school("s3", 70, district="d2"), Reported("dept", "city", None, 9999),
    ]
    assert sorted(v.unit_id for v in covering(values)) == ["d1", "s3"]
    head, per = headline("count", values)
    assert head.actual == 370 and "区县" in head.method
    assert (per["city"].actual, per["district"].actual, per["school"].actual) == (9999, 300, 220)
    only_city, _ = headline("count", [Reported("dept", "city", None, 12)])
    assert (only_city.actual, only_city.level) == (12, "city")


@pytest.mark.parametrize(("comparator", "target", "actual", "met", "att"), [
    (">=", 60, 72, True, 1.2), (">=", 60, 45, False, 0.75), ("<=", 5, 4, True, 1.25), ("<=", 5, 10, False, 0.5),
    ("=", 100, 100, True, 1.0), ("~", 10, 9, None, None), (">=", None, 3, None, None), (">=", 60, None, None, None),
])
def test_met_and_attainment(comparator: str, target: float | None, actual: float | None, met: bool | None, att: float | None) -> None:
    """Whether a target is met and how far along it is."""
    assert is_met(comparator, target, actual) is met
    assert attainment(comparator, target, actual) == att
