"""Where a task sits in the org tree: its district and a sort key in org-tree order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from report_svc.tasks.models import ReportTask
from report_svc.units.models import Unit

U = Unit.__table__  # type: ignore[attr-defined]
KIND_RANK = {"city": "0", "department": "1", "district": "0", "school": "1"}


async def load_units(session: AsyncSession, ids: Iterable[str | None]) -> dict[str, Any]:
    """The named units and their parents (id, code, kind, parent_id), one query per 500 ids."""
    wanted = sorted({i for i in ids if i})
    found: dict[str, Any] = {}
    for lo in range(0, len(wanted), 500):
        chunk = wanted[lo : lo + 500]
        parents = sa.select(U.c.parent_id).where(U.c.id.in_(chunk)).scalar_subquery()
        stmt = sa.select(U.c.id, U.c.code, U.c.kind, U.c.parent_id).where(sa.or_(U.c.id.in_(chunk), U.c.id.in_(parents)))
        found.update({r.id: r for r in (await session.execute(stmt)).all()})
    return found


def place(level: str, unit_id: str, issuer_unit_id: str | None, units: dict[str, Any]) -> tuple[str | None, str]:
    """(district id or None, org-tree sort key) of a task: city and departments first, then each district and its schools."""
    unit = units.get(unit_id)
    if unit is not None:
        if unit.kind == "district":
            district: str | None = unit.id
        elif unit.kind == "school":
            district = unit.parent_id
        else:
            district = None
        kind, code = unit.kind, unit.code
    else:
        # Not in the local directory yet: the task's level and issuer still say where it belongs.
        district = unit_id if level == "district" else issuer_unit_id if level == "school" else None
        kind, code = {"city": "department", "district": "district", "school": "school"}.get(level, "school"), unit_id
    d = units.get(district or "")
    district_code = (d.code if d else district) or ""
    # Space separates the parts: it sorts before every printable code character (byte order; PostgreSQL sorts COLLATE "C").
    return district, f"{district_code} {KIND_RANK.get(kind, '2')} {code}"[:160]


async def replace_placement(session: AsyncSession, unit_ids: Iterable[str]) -> None:
    """Recompute district and sort key of every task of these units (after a directory change)."""
    ids = sorted(set(unit_ids))
    if not ids:
        return
    units = await load_units(session, ids)
    for uid in ids:
        u = units.get(uid)
        if u is None:
            continue
        level = {"district": "district", "school": "school"}.get(u.kind, "city")
        district, key = place(level, uid, None, units)
        await session.exec(sa.update(ReportTask).where(ReportTask.unit_id == uid).values(district_id=district, org_key=key))  # type: ignore[arg-type]


async def repair_placement(session: AsyncSession, plan_id: str) -> None:
    """Tasks placed before their unit reached the directory (a concurrent batch and unit.upserted) get their real place."""
    t = ReportTask.__table__  # type: ignore[attr-defined]
    stale = (sa.select(t.c.unit_id).distinct().select_from(t.join(U, U.c.id == t.c.unit_id))
             .where(t.c.plan_id == plan_id, ~t.c.org_key.like(sa.literal("% ").concat(U.c.code))))
    ids = list((await session.execute(stale)).scalars().all())
    if ids:
        await replace_placement(session, ids)
