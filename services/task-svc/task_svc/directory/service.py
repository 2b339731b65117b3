"""Directory: list units, upsert imported or generated records, publish unit changes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events import utcnow
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging import Outbox
from task_svc.auth.passwords import hash_password
from task_svc.auth.service import ensure_unit_accounts
from task_svc.directory.models import Unit
from task_svc.directory.records import UnitRecord, unit_id_for


@dataclass
class UpsertSummary:
    """What an upsert did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    accounts_created: int = 0


async def list_units(
    *, session: AsyncSession, kind: str | None = None, parent_id: str | None = None, school_type: str | None = None,
    q: str | None = None, limit: int = 100, offset: int = 0,
) -> tuple[list[Unit], int]:
    """A page of active units matching the filters, and the total."""
    stmt = select(Unit).where(Unit.active == True)
    if kind:
        stmt = stmt.where(Unit.kind == kind)
    if parent_id:
        stmt = stmt.where(Unit.parent_id == parent_id)
    if school_type:
        stmt = stmt.where(Unit.school_type == school_type)
    if q:
        stmt = stmt.where(sa.or_(col(Unit.name).contains(q, autoescape=True), col(Unit.code).contains(q, autoescape=True)))
    total = (await session.exec(select(sa.func.count()).select_from(stmt.subquery()))).one()
    rows = (await session.exec(stmt.order_by(Unit.kind, Unit.code).limit(limit).offset(offset))).all()
    return list(rows), int(total)


async def known_codes(*, session: AsyncSession) -> set[str]:
    """Codes of every unit already in the directory."""
    return set((await session.exec(select(Unit.code))).all())


async def known_parents(*, session: AsyncSession) -> dict[str, str | None]:
    """Every unit's code mapped to its parent's code (None at the top)."""
    rows = (await session.exec(select(Unit.id, Unit.code, Unit.parent_id))).all()
    code_of = {uid: code for uid, code, _ in rows}
    return {code: code_of.get(parent) if parent else None for _, code, parent in rows}


def _event(u: Unit) -> UnitUpserted:
    return UnitUpserted(id=u.id, code=u.code, name=u.name, kind=u.kind, parent_id=u.parent_id, school_type=u.school_type, active=u.active)  # type: ignore[arg-type]


async def upsert_units(
    *, session: AsyncSession, outbox: Outbox, records: list[UnitRecord], default_password: str | None = None,
) -> UpsertSummary:
    """Create or update units (parents first) and stage a unit.upserted event for each change."""
    summary = UpsertSummary()
    existing = {u.code: u for u in (await session.exec(select(Unit))).all()}
    ids = {code: u.id for code, u in existing.items()}
    touched: list[Unit] = []
    for rec in records:
        parent_id = ids.get(rec.parent_code) if rec.parent_code else None
        if rec.parent_code and parent_id is None:
            parent_id = unit_id_for(rec.parent_code)
        unit = existing.get(rec.code)
        if unit is None:
            unit = Unit(id=unit_id_for(rec.code), code=rec.code, name=rec.name, kind=rec.kind, parent_id=parent_id, school_type=rec.school_type)
            session.add(unit)
            existing[rec.code] = unit
            ids[rec.code] = unit.id
            summary.created += 1
        elif (unit.name, unit.kind, unit.parent_id, unit.school_type, unit.active) != (rec.name, rec.kind, parent_id, rec.school_type, True):
            unit.name, unit.kind, unit.parent_id, unit.school_type, unit.active = rec.name, rec.kind, parent_id, rec.school_type, True
            unit.updated_at = utcnow()
            session.add(unit)
            summary.updated += 1
        else:
            summary.unchanged += 1
            continue
        touched.append(unit)
        await outbox.add(session, _event(unit))
    if touched:
        # Demo: one hash shared by the batch (same password). Otherwise no usable password: activation code.
        pw_hash = await asyncio.to_thread(hash_password, default_password) if default_password is not None else None
        summary.accounts_created = await ensure_unit_accounts(session=session, units=touched, password_hash=pw_hash)
    return summary
