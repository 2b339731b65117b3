"""One local copy of the org directory for every consuming service: columns, set-based upsert, handler.

task-svc owns the directory and announces each unit in `unit.upserted`; notify-svc and report-svc
keep a copy. A service declares its table with the mixin and its own base, then serves the router:

    class Unit(MySvcModel, UnitColumns, table=True):
        __tablename__ = "units"

    ConsumerSpec("directory", [DIRECTORY_TOPIC], [directory_router(Unit)])

A service that must react to changes (report-svc re-places a moved unit's tasks) passes `after=`:
an async callback given the unit of work, the events and each unit's row as it was before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events import utcnow
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging.handlers import EventRouter
from duban_shared.uow import UnitOfWork

# What a copy keeps of each unit, beyond the primary key; the same names as in UnitUpserted.
COPIED = ("code", "name", "kind", "parent_id", "school_type", "active", "enrolment", "email", "leader_name", "leader_email")


class UnitColumns(SQLModel):
    """The columns of a local unit copy (mix into a service's table model)."""

    id: str = Field(primary_key=True, max_length=36)
    # Not unique here: codes may be swapped between units by two events that arrive one by one.
    code: str = Field(max_length=64, index=True)
    name: str = Field(max_length=128)
    kind: str = Field(max_length=16, index=True)
    parent_id: str | None = Field(default=None, max_length=36, index=True)
    school_type: str | None = Field(default=None, max_length=16)
    active: bool = True
    enrolment: int | None = None
    email: str | None = Field(default=None, max_length=254)
    leader_name: str | None = Field(default=None, max_length=64)
    leader_email: str | None = Field(default=None, max_length=254)
    updated_at: datetime = Field(default_factory=utcnow)


def unit_row(event: UnitUpserted) -> dict[str, Any]:
    """The row an event describes."""
    row: dict[str, Any] = {"id": event.id, "updated_at": utcnow()}
    row.update({c: getattr(event, c) for c in COPIED})
    row["name"] = row["name"][:128]
    if row["enrolment"] is not None and row["enrolment"] < 0:
        row["enrolment"] = None  # a count below zero is a data error upstream, not a weight
    return row


async def rows_before(*, session: AsyncSession, model: type[SQLModel], ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored rows of these units (copied fields), before an upsert changes them."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    q = sa.select(table.c.id, *(table.c[c] for c in COPIED)).where(table.c.id.in_(list(set(ids))))
    return {r.id: {c: getattr(r, c) for c in COPIED} for r in (await session.exec(q)).all()}  # type: ignore[call-overload]


AfterUpsert = Callable[[UnitOfWork, Sequence[UnitUpserted], dict[str, dict[str, Any]]], Awaitable[None]]


async def upsert_units(*, session: AsyncSession, model: type[SQLModel], events: Sequence[UnitUpserted]) -> int:
    """Create or overwrite units in one statement (the last event of a unit wins); returns the row count."""
    if not events:
        return 0
    rows = list({e.id: unit_row(e) for e in events}.values())
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    update = {c: stmt.excluded[c] for c in (*COPIED, "updated_at")}
    await session.execute(stmt.on_conflict_do_update(index_elements=[table.c.id], set_=update), rows)
    # The ORM may hold stale copies of these units in this session; the row is the truth now.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model) and getattr(obj, "id", None) in {r["id"] for r in rows}:
            session.expire(obj)
    return len(rows)


async def unit_names(*, session: AsyncSession, model: type[SQLModel], ids: Iterable[str | None]) -> dict[str, str]:
    """Names of the given units that the copy knows."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    col_id, col_name = model.id, model.name  # type: ignore[attr-defined]
    rows = (await session.exec(select(col_id, col_name).where(col_id.in_(wanted)))).all()
    return {i: n for i, n in rows}


def directory_router(model: type[SQLModel], *, after: AfterUpsert | None = None) -> EventRouter:
    """An EventRouter that keeps `model` (a UnitColumns table) current from unit.upserted; `after` sees each change."""
    router = EventRouter()

    @router.handles(UnitUpserted)
    async def on_unit_upserted(uow: UnitOfWork, event: UnitUpserted) -> None:
        """Keep the local directory copy."""
        before = await rows_before(session=uow.session, model=model, ids=[event.id]) if after is not None else {}
        await upsert_units(session=uow.session, model=model, events=[event])
        if after is not None:
            await after(uow, [event], before)

    return router
