"""Stats rows as the API shows them: counts, rates and medians of one slice."""

from __future__ import annotations

from typing import Any

STATUS_KEYS = {"assigned": "assigned", "acknowledged": "acknowledged_now", "in_progress": "in_progress", "submitted": "submitted_now",
               "completed": "completed", "returned": "returned", "declined": "declined"}


def _rate(n: int, d: int) -> float:
    return round(n / d, 4) if d else 0.0


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def counts(r: Any) -> dict[str, Any]:
    """One slice's figures (r: a stats row or a dict with the same names; None for an empty slice)."""
    g = (lambda k: 0) if r is None else (r.get if isinstance(r, dict) else lambda k: getattr(r, k))
    tasks, completed = int(g("tasks") or 0), int(g("completed") or 0)
    return {
        "tasks": tasks, "acknowledged": int(g("acknowledged") or 0), "submitted": int(g("submitted") or 0), "completed": completed,
        "overdue": int(g("overdue") or 0), "declined": int(g("declined") or 0), "withdrawn": int(g("withdrawn") or 0),
        "reassigned": int(g("reassigned") or 0),
        "by_status": {status: int(g(col) or 0) for status, col in STATUS_KEYS.items()},
        "completion_rate": _rate(completed, tasks), "acknowledged_rate": _rate(int(g("acknowledged") or 0), tasks),
        "submitted_rate": _rate(int(g("submitted") or 0), tasks), "on_time": int(g("on_time") or 0), "due": int(g("due") or 0),
        "on_time_rate": _rate(int(g("on_time") or 0), int(g("due") or 0)),
        "median_ack_hours": _hours(None if r is None else g("median_ack_seconds")),
        "median_submit_hours": _hours(None if r is None else g("median_submit_seconds")),
    }


CHANGE_KEYS = ("tasks", "acknowledged", "submitted", "completed", "overdue")


def change(now: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """Differences of the headline figures between now and a snapshot (rates in points of 1.0)."""
    out: dict[str, Any] = {k: now[k] - then[k] for k in CHANGE_KEYS}
    for k in ("completion_rate", "on_time_rate", "acknowledged_rate"):
        out[k] = round(now[k] - then[k], 4)
    return out
