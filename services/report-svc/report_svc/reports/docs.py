"""Summary documents: each partition's summary rendered to JSON at recompute time, so a read is one SELECT."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.clock import business_today
from duban_shared.db import Database
from duban_shared.events import utcnow
from report_svc.reports.access import Scope
from report_svc.reports.service import summary
from report_svc.snapshots.service import since_last
from report_svc.stats.models import StatsState, SummaryDoc
from report_svc.stats.service import ensure_fresh

DOCS = SummaryDoc.__table__  # type: ignore[attr-defined]
STATE = StatsState.__table__  # type: ignore[attr-defined]


async def render(*, db: Database | None, session: AsyncSession, plan_id: str, scope: Scope, today: date | None = None) -> dict[str, Any]:
    """The summary of a scope with its change since the last snapshot, computed from the stats rows."""
    s = await summary(db=db, session=session, plan_id=plan_id, scope=scope, today=today)
    s["since_snapshot"] = await since_last(session=session, plan_id=plan_id, scope=scope, summary=s)
    return s


async def write_docs(session: AsyncSession, plan_id: str, today: date, parts: set[str]) -> bool:
    """Replace the plan's documents: the whole plan and each district partition (inside the recompute's transaction).
    Returns False when some unit is not in the local directory yet (its name is missing from the documents)."""
    await session.execute(sa.delete(DOCS).where(DOCS.c.plan_id == plan_id))
    rows, complete = [], True
    for part in sorted(parts | {""}):
        scope = Scope() if part == "" else Scope("district", part)
        body = await render(db=None, session=session, plan_id=plan_id, scope=scope, today=today)
        body["computed_at"] = utcnow().isoformat()
        named = body["by_district"] + body["by_school"] + body["by_department"]
        complete = complete and all(e["name"] != e["unit_id"] for e in named)
        rows.append({"plan_id": plan_id, "part": part, "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()})
    await session.execute(sa.insert(DOCS), rows)
    return complete


async def _doc(session: AsyncSession, plan_id: str, part: str) -> Any:
    stmt = (sa.select(DOCS.c.body, STATE.c.dirty_gen, STATE.c.as_of).select_from(DOCS.join(STATE, STATE.c.plan_id == DOCS.c.plan_id))
            .where(DOCS.c.plan_id == plan_id, DOCS.c.part == part))
    return (await session.execute(stmt)).first()


async def summary_json(*, db: Database, session: AsyncSession, plan_id: str, scope: Scope) -> bytes:
    """The summary as JSON text: the stored document when fresh (one SELECT), else recomputed first; live for one unit."""
    if scope.part is not None:
        row = await _doc(session, plan_id, scope.part)
        if row is not None and row.dirty_gen is None and row.as_of == business_today():
            return bytes(row.body)
        await ensure_fresh(db, plan_id)
        row = await _doc(session, plan_id, scope.part)
        if row is not None:
            return bytes(row.body)
    body = await render(db=db, session=session, plan_id=plan_id, scope=scope)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
