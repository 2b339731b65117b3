"""填报进度 (the submission board) from the stored board lines, and the overdue list from the projected task rows."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.clock import business_today
from duban_shared.errors import forbidden, not_found
from report_svc.plans.models import PlanItem
from report_svc.reports.access import Scope
from report_svc.reports.service import OPEN, require_plan
from report_svc.stats.service import GONE
from report_svc.tasks.lines import ACKED, RENDER_COLUMNS, SEP, SUBMITTED, dump, render, unit_json
from report_svc.tasks.models import ReportTask
from report_svc.units.models import Unit

T = ReportTask.__table__  # type: ignore[attr-defined]
U = Unit.__table__  # type: ignore[attr-defined]
TIME_COLUMNS = ("acknowledged_at", "submitted_at", "last_report_at", "due_date")


def board_columns(session: AsyncSession) -> list[Any]:
    """The board's columns; on SQLite times come back as stored text (no parse and re-format per row)."""
    raw = session.bind is not None and session.bind.dialect.name == "sqlite"
    times = [sa.type_coerce(T.c[c], sa.String).label(c) if raw else T.c[c] for c in TIME_COLUMNS]
    return [T.c.id, T.c.unit_id, T.c.level, T.c.status, T.c.district_id, T.c.percent, T.c.last_report_note, T.c.item_id, T.c.title,
            U.c.code, U.c.name, *times]


def _iso(v: Any) -> str | None:
    """ISO 8601: a date, or an instant with its UTC offset (SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC)."""
    if v is None or isinstance(v, str) and len(v) <= 10:
        return v
    if isinstance(v, str):
        return v.replace(" ", "T", 1) + ("" if "+" in v[10:] else "+00:00")
    return v.isoformat()


def org_order(session: AsyncSession) -> Any:
    """The org-tree sort key in byte order on every backend (PostgreSQL's locale collations skip spaces)."""
    return T.c.org_key.collate("C") if session.bind is not None and session.bind.dialect.name == "postgresql" else T.c.org_key


def _line(r: Any, today_text: str) -> dict[str, Any]:
    """One board row from the positional columns of board_columns (tuple unpacking: attribute access per row is slow)."""
    task_id, unit_id, level, status, district_id, percent, note, _item, _title, code, name, ack_at, sub_at, report_at, due, *_ = r
    due = _iso(due)
    return {
        "task_id": task_id, "unit_id": unit_id, "code": code or "", "name": name or unit_id, "level": level, "district_id": district_id,
        "status": status, "acknowledged": ack_at is not None or status in ACKED, "acknowledged_at": _iso(ack_at),
        "submitted": status in ("submitted", "completed"), "submitted_at": _iso(sub_at), "percent": percent,
        "due_date": due, "overdue": status in OPEN and due is not None and due < today_text,
        "last_report": {"at": _iso(report_at), "percent": percent, "note": note} if report_at is not None else None,
    }


def _scope_where(plan_id: str, item_id: str | None, parent_id: str | None, scope: Scope) -> Any:
    which = T.c.parent_id == parent_id if parent_id is not None else T.c.item_id == item_id
    return sa.and_(T.c.plan_id == plan_id, which, T.c.status.not_in(GONE), scope.tasks_clause())


async def _check(session: AsyncSession, plan_id: str, scope: Scope, item_id: str | None, parent_id: str | None) -> None:
    """404 for an unknown plan, item or parent task; 403 for a parent task of another district (one lookup when all is well)."""
    if parent_id is not None:
        parent = await session.get(ReportTask, parent_id)
        if parent is None or parent.plan_id != plan_id:
            await require_plan(session=session, plan_id=plan_id)
            raise not_found("上级任务")
        if scope.kind == "district" and parent.district_id not in (None, scope.unit_id):
            raise forbidden("不能查看其他区县的填报进度")
    elif await session.get(PlanItem, (plan_id, item_id)) is None:
        await require_plan(session=session, plan_id=plan_id)
        raise not_found("事项")


async def board_json(*, session: AsyncSession, plan_id: str, scope: Scope, item_id: str | None, parent_id: str | None,
                     limit: int, offset: int) -> bytes:
    """Who has and has not acknowledged or submitted, for an item or a parent task, in org-tree order, as JSON.

    One indexed SELECT of the stored lines (tasks.board_line with units.board_json); the read only fills in the
    district, the due date and "overdue", which depends on today. The plan, item or parent task is looked up only
    when the board comes back empty."""
    where = _scope_where(plan_id, item_id, parent_id, scope)
    today_text = business_today().isoformat()
    raw = session.bind is not None and session.bind.dialect.name == "sqlite"
    due_col = sa.type_coerce(T.c.due_date, sa.String) if raw else T.c.due_date  # SQLite keeps 'YYYY-MM-DD': no parse and format
    stmt = (sa.select(T.c.board_line, U.c.board_json, T.c.district_id, due_col, T.c.status, T.c.acknowledged_at.is_not(None), T.c.id)
            .select_from(T.outerjoin(U, U.c.id == T.c.unit_id)).where(where)
            .order_by(org_order(session), T.c.id).limit(limit).offset(offset))
    rows: list[Any] = list((await session.execute(stmt)).all())
    if not rows:  # rows prove plan, item and parent known; an empty board says why when one is not (or is another district's)
        await _check(session, plan_id, scope, item_id, parent_id)
    if any(r[0] is None or r[1] is None for r in rows):  # stored before lines existed, or a unit not in the local directory yet
        rows = await _patched(session, rows)
    districts: dict[str | None, str] = {None: "null"}
    dues: dict[tuple[Any, bool], str] = {}
    items: list[str] = []
    ack = sub = 0
    for line, unit, district, due, status, acked, _ in rows:
        d = districts.get(district) or districts.setdefault(district, dump(district))
        key = (due, status in OPEN)
        if (dd := dues.get(key)) is None:
            due_text = due if due is None or isinstance(due, str) else due.isoformat()
            late = key[1] and due_text is not None and due_text < today_text
            dd = dues[key] = f'{dump(due_text)},"overdue":{"true" if late else "false"}'
        a, b, c, rest = line.split(SEP)
        items.append(f"{a}{unit}{b}{d}{c}{dd}{rest}")
        ack += acked or status in ACKED
        sub += status in SUBMITTED
    if offset == 0 and len(items) < limit:  # the page is the whole board: count it here
        n = len(items)
    else:
        n, ack, sub = await _totals(session, where)
    totals = {"units": n, "acknowledged": ack, "not_acknowledged": n - ack, "submitted": sub, "not_submitted": n - sub}
    head = dump({"plan_id": plan_id, "item_id": item_id, "parent_id": parent_id, "as_of": today_text, "totals": totals})[:-1]
    return f'{head},"items":[{",".join(items)}],{dump({"total": n, "limit": limit, "offset": offset})[1:]}'.encode()


async def _patched(session: AsyncSession, rows: list[Any]) -> list[Any]:
    """Rows with a missing line rendered now; a unit not in the local directory is shown by its id."""
    missing = [r.id for r in rows if r[0] is None or r[1] is None]
    stored: dict[str, Any] = {}
    for lo in range(0, len(missing), 500):
        stmt = (sa.select(*(T.c[c] for c in RENDER_COLUMNS), U.c.code, U.c.name).select_from(T.outerjoin(U, U.c.id == T.c.unit_id))
                .where(T.c.id.in_(missing[lo : lo + 500])))
        stored.update({r.id: r for r in (await session.execute(stmt)).all()})
    out = []
    for r in rows:
        if r[0] is not None and r[1] is not None:
            out.append(r)
        elif (m := stored.get(r.id)) is not None:  # else deleted since (a rebuild's prune): not on the board any more
            line = r[0] or render(**{c: m._mapping[c] for c in RENDER_COLUMNS})
            out.append((line, r[1] or unit_json(m.code or "", m.name or m.unit_id), *r[2:]))
    return out


async def _totals(session: AsyncSession, where: Any) -> tuple[int, int, int]:
    """(units, acknowledged, submitted) of the whole board, for a page of it."""
    acked = sa.or_(T.c.acknowledged_at.is_not(None), T.c.status.in_(ACKED))
    totals = (await session.execute(sa.select(
        sa.func.count().label("units"), sa.func.sum(sa.case((acked, 1), else_=0)).label("ack"),
        sa.func.sum(sa.case((T.c.status.in_(SUBMITTED), 1), else_=0)).label("sub"),
    ).where(where))).one()
    return int(totals.units or 0), int(totals.ack or 0), int(totals.sub or 0)


async def board(*, session: AsyncSession, plan_id: str, scope: Scope, item_id: str | None, parent_id: str | None,
                limit: int, offset: int) -> dict[str, Any]:
    """The board as a dict (for the CSV): the same document the route sends."""
    return json.loads(await board_json(session=session, plan_id=plan_id, scope=scope, item_id=item_id, parent_id=parent_id, limit=limit, offset=offset))


async def overdue(*, session: AsyncSession, plan_id: str, scope: Scope, limit: int, offset: int) -> dict[str, Any]:
    """Open tasks past their due date (business date, Asia/Shanghai), oldest due first, in org-tree order."""
    await require_plan(session=session, plan_id=plan_id)
    today = business_today()
    where = sa.and_(T.c.plan_id == plan_id, T.c.status.in_(OPEN), T.c.due_date.is_not(None), T.c.due_date < today, scope.tasks_clause())
    total = int((await session.execute(sa.select(sa.func.count()).select_from(T).where(where))).scalar_one())
    stmt = (sa.select(*board_columns(session), PlanItem.number, PlanItem.title.label("item_title"))  # type: ignore[attr-defined]
            .select_from(T.outerjoin(U, U.c.id == T.c.unit_id).outerjoin(PlanItem, sa.and_(PlanItem.plan_id == T.c.plan_id, PlanItem.id == T.c.item_id)))
            .where(where).order_by(T.c.due_date, org_order(session), T.c.id).limit(limit).offset(offset))
    items = []
    for r in (await session.execute(stmt)).all():
        line = _line(r, today.isoformat())
        line.update(title=r.title, item_id=r.item_id, item_number=r.number or "", item_title=r.item_title or "",
                    days_overdue=(today - date.fromisoformat(str(r.due_date))).days)
        items.append(line)
    return {"plan_id": plan_id, "as_of": today.isoformat(), "items": items, "total": total, "limit": limit, "offset": offset}
