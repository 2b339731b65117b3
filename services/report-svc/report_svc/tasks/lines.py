"""Board lines: each task's row of 填报进度 as JSON text, rendered whenever the projection writes the task.

A stored line holds what the task's own events decide. Three gaps (SEP) are left for what other writers own
and the read fills in: the unit's code and name (units.board_json, kept by the directory consumer), the
district (placement) and the due date (a batch may fill it in later); "overdue" depends on the day of the read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from report_svc.tasks.models import ReportTask

SEP = "\x1f"  # json.dumps escapes every control character, so SEP never occurs inside the JSON text
ACKED = ("acknowledged", "in_progress", "submitted", "completed", "returned")
SUBMITTED = ("submitted", "completed")
GONE = ("withdrawn", "reassigned")  # never counted, never on the board
T = ReportTask.__table__  # type: ignore[attr-defined]
RENDER_COLUMNS = ("id", "unit_id", "level", "status", "acknowledged_at", "submitted_at", "percent", "last_report_at", "last_report_note")


def dump(value: Any) -> str:
    """Compact JSON with Chinese kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def iso(at: datetime | None) -> str | None:
    """An instant in ISO 8601 with its UTC offset."""
    return at.astimezone(UTC).isoformat() if at is not None else None


def unit_json(code: str, name: str) -> str:
    """A unit's part of a board line ('"code":…,"name":…'), stored on the unit."""
    return dump({"code": code, "name": name})[1:-1]


def render(*, id: str, unit_id: str, level: str, status: str, acknowledged_at: datetime | None, submitted_at: datetime | None,
           percent: int, last_report_at: datetime | None, last_report_note: str) -> str:
    """The stored line of one task, with the three gaps."""
    head = dump({"task_id": id, "unit_id": unit_id})[:-1]
    body = dump({"status": status, "acknowledged": acknowledged_at is not None or status in ACKED, "acknowledged_at": iso(acknowledged_at),
                 "submitted": status in SUBMITTED, "submitted_at": iso(submitted_at), "percent": percent})[1:-1]
    report = {"at": iso(last_report_at), "percent": percent, "note": last_report_note} if last_report_at is not None else None
    return f'{head},{SEP},"level":{dump(level)},"district_id":{SEP},{body},"due_date":{SEP},"last_report":{dump(report)}}}'


def render_task(task: ReportTask) -> str:
    """The stored line of a task object."""
    return render(**{c: getattr(task, c) for c in RENDER_COLUMNS})


async def fill_missing(session: AsyncSession, where: Any) -> int:
    """Store the lines that board tasks matching `where` lack; returns how many."""
    stmt = sa.select(*(T.c[c] for c in RENDER_COLUMNS)).where(where, T.c.board_line.is_(None), T.c.status.not_in(GONE))
    lines = [{"tid": r.id, "line": render(**r._mapping)} for r in (await session.execute(stmt)).all()]
    if lines:
        on_board = [T.c.status != g for g in GONE]  # no IN list: executemany cannot expand one
        await session.execute(sa.update(T).where(T.c.id == sa.bindparam("tid"), T.c.board_line.is_(None), *on_board)
                              .values(board_line=sa.bindparam("line")), lines)
    return len(lines)


async def fill_plan(session: AsyncSession, plan_id: str) -> int:
    """A plan's missing lines (tasks stored before lines existed), at its recompute."""
    return await fill_missing(session, T.c.plan_id == plan_id)


async def fill_ids(session: AsyncSession, ids: list[str]) -> int:
    """These tasks' missing lines (after an upsert that cleared them)."""
    return sum([await fill_missing(session, T.c.id.in_(ids[lo : lo + 500])) for lo in range(0, len(ids), 500)])
