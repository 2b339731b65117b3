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
from duban_shared.uow import UnitOfWork
from task_svc.auth.passwords import hash_password
from task_svc.auth.service import ensure_unit_accounts
from task_svc.directory.models import Unit
from task_svc.directory.records import UnitRecord, unit_id_for
from task_svc.dispatch.service import UnitState, follow_directory


@dataclass
class UpsertSummary:
    """What an upsert did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    accounts_created: int = 0
    tasks_withdrawn: int = 0
    tasks_joined: int = 0


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
    return UnitUpserted(id=u.id, code=u.code, name=u.name, kind=u.kind, parent_id=u.parent_id, school_type=u.school_type,  # type: ignore[arg-type]
                        active=u.active, enrolment=u.enrolment, email=u.email, leader_name=u.leader_name, leader_email=u.leader_email)


_EXTRA = ("enrolment", "email", "leader_name", "leader_email")


def _wanted(unit: Unit | None, rec: UnitRecord, parent_id: str | None) -> tuple[object, ...]:
    # An optional field the record does not give keeps the unit's current value.
    extra = tuple(getattr(rec, f) if getattr(rec, f) is not None or unit is None else getattr(unit, f) for f in _EXTRA)
    return (rec.name, rec.kind, parent_id, rec.school_type, rec.active, *extra)


def _state(u: Unit) -> tuple[object, ...]:
    return (u.name, u.kind, u.parent_id, u.school_type, u.active, *(getattr(u, f) for f in _EXTRA))


async def upsert_units(
    *, session: AsyncSession, outbox: Outbox, records: list[UnitRecord], default_password: str | None = None,
) -> UpsertSummary:
    """Create or update units (parents first), stage a unit.upserted for each change, and let open tasks follow.

    Tasks follow in the same transaction (not through our own unit.upserted): task-svc owns the
    directory, so a closed school's tasks are withdrawn and a new school gets its tasks atomically
    with the change, with no window in which the two disagree.
    """
    summary = UpsertSummary()
    before: dict[str, UnitState | None] = {}
    existing = {u.code: u for u in (await session.exec(select(Unit))).all()}
    ids = {code: u.id for code, u in existing.items()}
    touched: list[Unit] = []
    for rec in records:
        parent_id = ids.get(rec.parent_code) if rec.parent_code else None
        if rec.parent_code and parent_id is None:
            parent_id = unit_id_for(rec.parent_code)
        unit = existing.get(rec.code)
        if unit is None:
            unit = Unit(id=unit_id_for(rec.code), code=rec.code, name=rec.name, kind=rec.kind, parent_id=parent_id, school_type=rec.school_type,
                        active=rec.active, enrolment=rec.enrolment, email=rec.email, leader_name=rec.leader_name, leader_email=rec.leader_email)
            session.add(unit)
            existing[rec.code] = unit
            ids[rec.code] = unit.id
            before[unit.id] = None
            summary.created += 1
        elif _state(unit) != (want := _wanted(unit, rec, parent_id)):
            before[unit.id] = UnitState(unit.active, unit.school_type, unit.parent_id)
            (unit.name, unit.kind, unit.parent_id, unit.school_type, unit.active, unit.enrolment, unit.email, unit.leader_name,
             unit.leader_email) = want  # type: ignore[assignment]
            unit.updated_at = utcnow()
            session.add(unit)
            summary.updated += 1
        else:
            summary.unchanged += 1
            continue
        touched.append(unit)
        await outbox.add(session, _event(unit))
    if touched:
        await session.flush()
        summary.tasks_withdrawn, summary.tasks_joined = await follow_directory(uow=UnitOfWork(session, outbox), changed=touched, before=before)
        # Demo: one hash shared by the batch (same password). Otherwise no usable password: activation code.
        pw_hash = await asyncio.to_thread(hash_password, default_password) if default_password is not None else None
        summary.accounts_created = await ensure_unit_accounts(session=session, units=touched, password_hash=pw_hash)
    return summary
