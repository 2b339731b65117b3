"""Set-based writes of a breakdown: tasks, timeline entries and co-owners in bulk, events in batches.

Rows go in with executemany (INSERT … ON CONFLICT DO NOTHING on both SQLite and PostgreSQL);
new tasks travel as `tasks.assigned` batches, one per (plan version, item, parent task), split
so no event exceeds MAX_EVENT_BYTES; withdrawn tasks as `tasks.withdrawn` batches.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from duban_shared.events import utcnow
from duban_shared.events.catalogue import (
    AssignedTask,
    IntegrationEvent,
    TaskDueChanged,
    TasksAssigned,
    TasksWithdrawn,
)
from duban_shared.uow import UnitOfWork
from task_svc.tasks.breakdown import Planned
from task_svc.tasks.models import Task, TaskCoOwner, TaskEntry

# Well under Kafka's 1 MB default message size, with room for the envelope around the payload.
MAX_EVENT_BYTES = 256 * 1024
EVENT_NS = uuid.UUID("0f6f5d0e-3f7b-4c55-9a55-8d3f1b7c2e90")
# Closed for good: a breakdown neither reopens nor withdraws these.
CLOSED = ("completed", "withdrawn", "reassigned")

TASKS = Task.__table__  # type: ignore[attr-defined]
ENTRIES = TaskEntry.__table__  # type: ignore[attr-defined]
CO_OWNERS = TaskCoOwner.__table__  # type: ignore[attr-defined]


def event_id(*parts: object) -> str:
    """A deterministic envelope id, so work redone after a crash emits the very same event."""
    return str(uuid.uuid5(EVENT_NS, "/".join(str(p) for p in parts)))


def insert_ignore(dialect: str, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for the session's dialect."""
    ins = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return ins.on_conflict_do_nothing()


async def dialect_of(uow: UnitOfWork) -> str:
    """The database dialect behind a unit of work."""
    return (await uow.session.connection()).dialect.name


@dataclass
class ItemInfo:
    """What the tasks of one item share."""

    plan_id: str
    version: int
    item_id: str
    title: str
    body: str
    actor: str | None


@dataclass
class Written:
    """What a bulk write did."""

    new: Counter[str] = field(default_factory=Counter)  # unit id -> new (or reopened) tasks
    batches: int = 0
    tasks: int = 0
    withdrawn: int = 0
    updated: int = 0

    def add(self, other: Written) -> None:
        """Accumulate."""
        self.new.update(other.new)
        self.batches += other.batches
        self.tasks += other.tasks
        self.withdrawn += other.withdrawn
        self.updated += other.updated


def split_by_size(base: IntegrationEvent, items: Sequence[Any], field_name: str, limit: int = MAX_EVENT_BYTES) -> list[list[Any]]:
    """Split a batch's rows so the event carrying each part stays under `limit` bytes of JSON."""
    # Envelope fields around the payload (ids, type, source, key, times) take well under 1 KB.
    overhead = len(base.model_dump_json().encode()) + 1024
    parts: list[list[Any]] = [[]]
    size = overhead
    for it in items:
        n = len((it.model_dump_json() if hasattr(it, "model_dump_json") else f'"{it}"').encode()) + 1
        if parts[-1] and size + n > limit:
            parts.append([])
            size = overhead
        parts[-1].append(it)
        size += n
    return [p for p in parts if p]


def task_rows(info: ItemInfo, planned: Iterable[Planned], origin: str, late: bool, now: datetime) -> list[dict[str, Any]]:
    """Rows for the tasks table."""
    return [dict(id=p.id, plan_id=info.plan_id, plan_version=info.version, item_id=info.item_id, parent_id=p.parent_id,
                 level=p.level, unit_id=p.unit_id, issuer_unit_id=p.issuer_unit_id, title=info.title, body=info.body,
                 status="assigned", due_date=p.due_date, percent=0, root_id=p.root_id, origin=origin, late_joined=late,
                 created_at=now, updated_at=now) for p in planned]


async def entries(uow: UnitOfWork, task_ids: Iterable[str], action: str, actor: str | None, before: str | None,
                  after: str | None, note: str, now: datetime) -> None:
    """One timeline entry per task, in one statement."""
    rows = [dict(task_id=t, action=action, actor=actor, from_status=before, to_status=after, note=note, data="", at=now) for t in task_ids]
    if rows:
        await uow.session.execute(sa.insert(ENTRIES), rows)


async def insert_tasks(uow: UnitOfWork, info: ItemInfo, planned: list[Planned], *, origin: str, late: bool = False,
                       note: str) -> None:
    """Insert new tasks and their first timeline entry."""
    if not planned:
        return
    now = utcnow()
    await uow.session.execute(insert_ignore(await dialect_of(uow), TASKS), task_rows(info, planned, origin, late, now))
    await entries(uow, (p.id for p in planned), "created", info.actor, None, "assigned", note, now)


async def set_co_owners(uow: UnitOfWork, task_id: str, unit_ids: list[str]) -> None:
    """Make the co-owners of a city task exactly these units."""
    q = sa.delete(CO_OWNERS).where(CO_OWNERS.c.task_id == task_id)
    if unit_ids:
        q = q.where(CO_OWNERS.c.unit_id.not_in(unit_ids))
    await uow.session.execute(q)
    if unit_ids:
        await uow.session.execute(insert_ignore(await dialect_of(uow), CO_OWNERS), [dict(task_id=task_id, unit_id=u) for u in unit_ids])


async def emit_assigned(uow: UnitOfWork, info: ItemInfo, planned: list[Planned], *, reason: str, late: bool = False,
                        fixed_ids: bool = True, limit: int = MAX_EVENT_BYTES) -> Written:
    """`tasks.assigned` batches: one per parent task, split by size; ids fixed by content when `fixed_ids`."""
    out = Written()
    groups: dict[str | None, list[Planned]] = {}
    for p in planned:
        groups.setdefault(p.parent_id, []).append(p)
    now = utcnow()
    events: list[IntegrationEvent] = []
    ids: list[str | None] = []
    for parent, group in groups.items():
        rows = [AssignedTask(task_id=p.id, unit_id=p.unit_id, level=p.level, parent_id=p.parent_id,  # type: ignore[arg-type]
                             issuer_unit_id=p.issuer_unit_id, due_date=p.due_date, late_joined=late) for p in group]
        base = TasksAssigned(plan_id=info.plan_id, plan_version=info.version, item_id=info.item_id, parent_id=parent,
                             title=info.title, reason=reason, actor=info.actor, at=now, tasks=[])  # type: ignore[arg-type]
        for n, part in enumerate(split_by_size(base, rows, "tasks", limit), 1):
            events.append(base.model_copy(update={"batch": n, "tasks": part}))
            ids.append(event_id("assigned", info.plan_id, info.version, info.item_id, parent or "-", reason, n) if fixed_ids else None)
        out.new.update(p.unit_id for p in group)
    await uow.emit_many(events, ids)
    out.batches, out.tasks = len(events), len(planned)
    return out


async def withdraw(uow: UnitOfWork, *, plan_id: str, version: int | None, task_ids: list[str], reason: str, actor: str | None,
                   key: str | None = None, limit: int = MAX_EVENT_BYTES) -> int:
    """Withdraw open tasks (and open descendants) set-based: status, timeline, `tasks.withdrawn` batches; returns how many."""
    ids = list(dict.fromkeys(task_ids))
    frontier = ids
    while frontier:  # children a district re-dispatched go with their parent
        q = sa.select(TASKS.c.id).where(TASKS.c.parent_id.in_(frontier), TASKS.c.status.not_in(CLOSED))
        frontier = [r[0] for r in (await uow.session.execute(q)).all() if r[0] not in ids]
        ids += frontier
    if not ids:
        return 0
    now = utcnow()
    rows = (await uow.session.execute(sa.select(TASKS.c.id, TASKS.c.status).where(TASKS.c.id.in_(ids), TASKS.c.status.not_in(CLOSED)))).all()
    if not rows:
        return 0
    await uow.session.execute(sa.update(TASKS).where(TASKS.c.id.in_([r[0] for r in rows])).values(status="withdrawn", updated_at=now))
    await uow.session.execute(sa.insert(ENTRIES), [dict(task_id=r[0], action="withdrawn", actor=actor, from_status=r[1],
                                                        to_status="withdrawn", note=reason, data="", at=now) for r in rows])
    base = TasksWithdrawn(plan_id=plan_id, plan_version=version, reason=reason, actor=actor, at=now, task_ids=[])
    parts = split_by_size(base, [r[0] for r in rows], "task_ids", limit)
    await uow.emit_many([base.model_copy(update={"task_ids": p}) for p in parts],
                        [event_id("withdrawn", key, n) if key else None for n in range(1, len(parts) + 1)])
    return len(rows)


def differs(have: Any, want: Planned, info: ItemInfo) -> bool:
    """True when a task's title, body, due date, issuer or parent no longer match the item."""
    return (have.title, have.body, have.due_date, have.issuer_unit_id, have.parent_id) != (
        info.title, info.body, want.due_date, want.issuer_unit_id, want.parent_id)


async def update_open(uow: UnitOfWork, info: ItemInfo, pairs: list[tuple[Any, Planned]], note: str) -> int:
    """Apply a revision's new title, body, due date, issuer or parent to open tasks; one task.updated each."""
    if not pairs:
        return 0
    now = utcnow()
    stmt = sa.update(TASKS).where(TASKS.c.id == sa.bindparam("b_id")).values(
        title=sa.bindparam("b_title"), body=sa.bindparam("b_body"), due_date=sa.bindparam("b_due"),
        issuer_unit_id=sa.bindparam("b_issuer"), parent_id=sa.bindparam("b_parent"), plan_version=sa.bindparam("b_version"),
        updated_at=sa.bindparam("b_at"))
    conn = await uow.session.connection()
    await conn.execute(stmt, [dict(b_id=w.id, b_title=info.title, b_body=info.body, b_due=w.due_date, b_issuer=w.issuer_unit_id,
                                   b_parent=w.parent_id, b_version=info.version, b_at=now) for _, w in pairs])
    await entries(uow, (w.id for _, w in pairs), "updated", info.actor, None, None, note, now)
    await uow.emit_many([TaskDueChanged(task_id=w.id, plan_id=info.plan_id, item_id=info.item_id, parent_id=w.parent_id,
                                        level=w.level, unit_id=w.unit_id, issuer_unit_id=w.issuer_unit_id,  # type: ignore[arg-type]
                                        status=h.status, actor=info.actor, at=now, title=info.title, due_date=w.due_date)
                         for h, w in pairs])
    return len(pairs)


def due_ok(child: date | None, parent: date | None) -> bool:
    """A child is never due after its parent."""
    return parent is None or (child is not None and child <= parent)
