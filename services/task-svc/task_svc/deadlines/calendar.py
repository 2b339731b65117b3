"""Working days by China's official calendar (holidays and 调休 make-up days), via `chinese-calendar`."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

log = logging.getLogger(__name__)
_warned: set[int] = set()


@lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    """True on an official working day; Monday–Friday for a year the package does not cover yet."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning("chinese-calendar has no data for %d; counting Monday to Friday as working days", day.year)
        return day.weekday() < 5


def add_workdays(start: date, n: int) -> date:
    """The n-th working day after `start` (start itself when n is 0)."""
    day, left = start, n
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def warning_level(due: date | None, today: date, working_days: int) -> str:
    """red: past due; yellow: due within `working_days` working days from today; green otherwise."""
    if due is None:
        return "green"
    if due < today:
        return "red"
    if due <= add_workdays(today, working_days):
        return "yellow"
    return "green"
