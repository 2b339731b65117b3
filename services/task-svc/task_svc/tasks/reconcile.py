"""Bring one item's tasks in line with its snapshot: create, reopen, update and withdraw, set-based.

One rule serves publication and revision: the wanted tasks are the item's tree as
`wanted_tree` computes it from the directory now. Missing ones are created, withdrawn ones
wanted again reopened, open ones with a new title, deadline, issuer or parent updated, and
open ones no longer wanted withdrawn (with what a district re-dispatched under them).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from duban_shared.events import utcnow
from duban_shared.events.catalogue import PlanItemSnapshot
from duban_shared.uow import UnitOfWork
from task_svc.dispatch.models import DispatchItem
from task_svc.tasks.breakdown import Org, PlanRef, Tree, wanted_tree
from task_svc.tasks.bulk import (
    CLOSED,
    TASKS,
    ItemInfo,
    Written,
    dialect_of,
    differs,
    emit_assigned,
    entries,
    insert_tasks,
    set_co_owners,
    update_open,
    withdraw,
)

ITEMS = DispatchItem.__table__  # type: ignore[attr-defined]
# Tasks the breakdown made; a revision leaves tasks made by people (re-dispatch, reassignment) to them.
BREAKDOWN_ORIGINS = ("published", "revised", "late_joined")


@dataclass
class ItemOutcome:
    """What reconciling one item did."""

    written: Written
    warnings: list[str]


async def existing_tasks(uow: UnitOfWork, plan_id: str, item_id: str) -> dict[str, sa.Row]:
    """An item's tasks as they are, by id."""
    q = sa.select(TASKS.c.id, TASKS.c.status, TASKS.c.title, TASKS.c.body, TASKS.c.due_date, TASKS.c.issuer_unit_id,
                  TASKS.c.parent_id, TASKS.c.origin, TASKS.c.unit_id, TASKS.c.level).where(
        TASKS.c.plan_id == plan_id, TASKS.c.item_id == item_id)
    return {r.id: r for r in (await uow.session.execute(q)).all()}


async def reconcile_item(*, uow: UnitOfWork, org: Org, ref: PlanRef, item_id: str, item: PlanItemSnapshot | None,
                         reason: str) -> ItemOutcome:
    """Make an item's tasks what its snapshot wants (None: the item was removed)."""
    tree = wanted_tree(item, ref, org) if item is not None else Tree()
    info = ItemInfo(ref.plan_id, ref.version, item_id, item.title if item else "", item.body if item else "", ref.actor)
    have = await existing_tasks(uow, ref.plan_id, item_id)
    wanted = tree.all()
    wanted_ids = {w.id for w in wanted}
    new = [w for w in wanted if w.id not in have]
    reopen = [w for w in wanted if w.id in have and have[w.id].status == "withdrawn"]
    changed = [(have[w.id], w) for w in wanted if w.id in have and have[w.id].status not in CLOSED and differs(have[w.id], w, info)]
    drop = [h.id for h in have.values() if h.id not in wanted_ids and h.status not in CLOSED
            and (item is None or h.origin in BREAKDOWN_ORIGINS)]

    out = Written()
    v = ref.version
    await insert_tasks(uow, info, new, origin="published" if reason == "published" else "revised",
                       note=f"第{v}版计划发布" if reason == "published" else f"第{v}版计划修订新增")
    out.add(await emit_assigned(uow, info, new, reason=reason))
    if reopen:
        now = utcnow()
        await uow.session.execute(sa.update(TASKS).where(TASKS.c.id.in_([w.id for w in reopen])).values(
            status="assigned", plan_version=v, title=info.title, body=info.body, updated_at=now))
        await entries(uow, (w.id for w in reopen), "reopened", ref.actor, "withdrawn", "assigned", f"第{v}版计划重新交办", now)
        out.add(await emit_assigned(uow, info, reopen, reason="reopened"))
    out.updated = await update_open(uow, info, changed, f"第{v}版计划修订了标题、时限或交办单位")
    if None in tree.groups:
        await set_co_owners(uow, tree.groups[None][0].id, tree.co_owners)
    if drop:
        why = f"第{v}版计划删除了该条目" if item is None else f"第{v}版计划调整了分解对象"
        out.withdrawn = await withdraw(uow, plan_id=ref.plan_id, version=v, task_ids=drop, reason=why, actor=ref.actor,
                                       key=f"{ref.plan_id}/{v}/{item_id}")
    await remember_item(uow, ref, item_id, item)
    return ItemOutcome(out, tree.warnings)


async def remember_item(uow: UnitOfWork, ref: PlanRef, item_id: str, item: PlanItemSnapshot | None) -> None:
    """Keep the item's current snapshot, for schools that join later."""
    row = dict(plan_id=ref.plan_id, item_id=item_id, plan_version=ref.version, snapshot=item.model_dump_json() if item else "{}",
               default_deadline=ref.default_deadline, actor=ref.actor, removed=item is None, updated_at=utcnow())
    ins = (postgresql.insert(ITEMS) if await dialect_of(uow) == "postgresql" else sqlite.insert(ITEMS)).values(**row)
    keep = {k: v for k, v in row.items() if k not in ("plan_id", "item_id")}
    await uow.session.execute(ins.on_conflict_do_update(index_elements=["plan_id", "item_id"], set_=keep))
