"""The shared unit-directory projection: one table shape, a set-based upsert (last event wins), one handler."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from duban_shared.db import Database
from duban_shared.directory import UnitColumns, directory_router, unit_names, upsert_units
from duban_shared.events.catalogue import UnitUpserted
from duban_shared.messaging import Outbox, messaging_tables
from duban_shared.uow import UnitOfWork


class _Base(SQLModel, registry=registry()):
    """A service's own base (its own metadata), as every service has."""


class Unit(_Base, UnitColumns, table=True):
    """A local copy declared the way services declare it."""

    __tablename__ = "units"


async def test_upsert_is_set_based_and_the_last_event_of_a_unit_wins(db_factory) -> None:
    """Many units in one statement; repeated ids keep their last state; contacts and enrolment are kept."""
    db = Database(db_factory.new_url("directory"))
    async with db.engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
    first = [UnitUpserted(id=f"u-{i}", code=f"c{i}", name=f"学校{i}", kind="school", parent_id="u-d") for i in range(50)]
    async with db.sessionmaker() as s:
        assert await upsert_units(session=s, model=Unit, events=first) == 50
        await s.commit()
    later = [
        UnitUpserted(id="u-1", code="c1", name="旧名", kind="school"),
        UnitUpserted(id="u-1", code="c1x", name="实验小学", kind="school", parent_id="u-d2", active=False, enrolment=1200,
                     email="sy@example.edu.cn", leader_name="李校长", leader_email="li@example.edu.cn"),
        UnitUpserted(id="u-new", code="cn", name="新学校", kind="school"),
    ]
    async with db.sessionmaker() as s:
        assert await upsert_units(session=s, model=Unit, events=later) == 2
        await s.commit()
    async with db.sessionmaker() as s:
        u = await s.get(Unit, "u-1")
        assert u is not None
        assert (u.code, u.name, u.parent_id, u.active, u.enrolment, u.email, u.leader_name, u.leader_email) == (
            "c1x", "实验小学", "u-d2", False, 1200, "sy@example.edu.cn", "李校长", "li@example.edu.cn")
        assert (await s.exec(sa.select(sa.func.count()).select_from(Unit))).one()[0] == 51  # type: ignore[call-overload]
        assert await unit_names(session=s, model=Unit, ids=["u-1", "u-new", None, "nope"]) == {"u-1": "实验小学", "u-new": "新学校"}
    await db.dispose()


async def test_the_router_keeps_the_copy_and_reports_changes(db_factory) -> None:
    """directory_router(model, after=) handles unit.upserted and shows the callback each unit's row before."""
    db = Database(db_factory.new_url("directory"))
    async with db.engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
    seen: list[tuple[str, str | None, str | None]] = []

    async def after(uow: UnitOfWork, events, before) -> None:  # type: ignore[no-untyped-def]
        for e in events:
            was = before.get(e.id)
            seen.append((e.id, was["parent_id"] if was else None, e.parent_id))

    handler = directory_router(Unit, after=after).handlers["unit.upserted"]
    outbox = Outbox(messaging_tables(sa.MetaData()), source="t", topic_prefix="t")
    for parent in ("u-d1", "u-d2"):
        async with db.sessionmaker() as s:
            await handler(UnitOfWork(s, outbox), UnitUpserted(id="u-9", code="c9", name="九中", kind="school", parent_id=parent,
                                                              email="j@example.edu.cn", enrolment=-3))
            await s.commit()
    async with db.sessionmaker() as s:
        u = await s.get(Unit, "u-9")
        assert u is not None and u.email == "j@example.edu.cn" and u.active is True and u.parent_id == "u-d2"
        assert u.enrolment is None  # a negative count is no weight
    assert seen == [("u-9", None, "u-d1"), ("u-9", "u-d1", "u-d2")]
    await db.dispose()
