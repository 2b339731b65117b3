"""Break plan items down into tasks, and keep them in step when a revision changes an item.

One rule serves both events: for each item, the wanted tasks are the lead department's city
task plus, where the item targets districts, one task per district bureau. Missing ones are
created, unwanted open ones declined, declined ones wanted again reopened, and changed titles,
deadlines or issuers applied — each with its event, in the handler's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events import utcnow
from duban_shared.events.catalogue import PlanItemSnapshot, TaskCreated, TaskDeclined, TaskDueChanged
from duban_shared.messaging import Outbox
from task_svc.directory.models import Unit
from task_svc.tasks.matching import match_unit
from task_svc.tasks.models import Task, TaskEntry
from task_svc.tasks.service import DONE, event_fields

NS = uuid.UUID("5b0f3c2e-9a57-4c1e-8f3e-6c1d2f0a7b11")


def task_id_for(plan_id: str, item_id: str, unit_id: str, level: str) -> str:
    """Deterministic id: a redelivered plan never makes a second task for the same unit and item."""
    return str(uuid.uuid5(NS, f"{plan_id}/{item_id}/{level}/{unit_id}"))


@dataclass
class Org:
    """The directory as the breakdown needs it."""

    city: Unit
    departments: list[Unit]
    districts: list[Unit]


async def load_org(session: AsyncSession) -> Org | None:
    """Active units; None while the directory has no city bureau."""
    units = list((await session.exec(select(Unit).where(Unit.active == True))).all())
    city = next((u for u in units if u.kind == "city"), None)
    if city is None:
        return None
    return Org(city, [u for u in units if u.kind == "department"], sorted((u for u in units if u.kind == "district"), key=lambda u: u.code))


@dataclass
class PlanRef:
    """What every task of a plan version shares."""

    plan_id: str
    version: int
    actor: str
    default_deadline: date | None


def _wanted(item: PlanItemSnapshot, ref: PlanRef, org: Org) -> list[Task]:
    lead = next((m for n in item.lead_units if (m := match_unit(n, org.departments))), None) or org.city
    due = item.deadline or ref.default_deadline

    def task(level: str, unit: Unit, issuer: str, parent: str | None) -> Task:
        return Task(id=task_id_for(ref.plan_id, item.id, unit.id, level), plan_id=ref.plan_id, plan_version=ref.version, item_id=item.id,
                    parent_id=parent, level=level, unit_id=unit.id, issuer_unit_id=issuer, title=item.title, body=item.body, due_date=due)

    city_task = task("city", lead, org.city.id, None)
    out = [city_task]
    if item.targets.districts:
        out += [task("district", d, lead.id, city_task.id) for d in org.districts]
    return out


async def reconcile_item(*, session: AsyncSession, outbox: Outbox, org: Org, ref: PlanRef, item_id: str, item: PlanItemSnapshot | None) -> int:
    """Bring one item's tasks in line with its snapshot (None: the item was removed); returns how many tasks changed."""
    existing = {t.id: t for t in (await session.exec(select(Task).where(Task.plan_id == ref.plan_id, Task.item_id == item_id))).all()}
    wanted = {t.id: t for t in _wanted(item, ref, org)} if item is not None else {}
    changed = 0
    for tid, want in wanted.items():
        have = existing.get(tid)
        if have is None:
            session.add(want)
            _entry(session, want, "created", ref, None, "assigned", f"第{ref.version}版计划发布")
            await outbox.add(session, TaskCreated(**event_fields(want, ref.actor), title=want.title, due_date=want.due_date, plan_version=ref.version))  # type: ignore[arg-type]
        elif have.status == "declined":
            _apply(have, want)
            _entry(session, have, "reopened", ref, "declined", "assigned", f"第{ref.version}版计划重新交办")
            have.status = "assigned"
            await outbox.add(session, TaskCreated(**event_fields(have, ref.actor), title=have.title, due_date=have.due_date, plan_version=ref.version))  # type: ignore[arg-type]
        elif have.status not in DONE and _differs(have, want):
            _apply(have, want)
            _entry(session, have, "updated", ref, have.status, have.status, f"第{ref.version}版计划修订了标题、时限或交办单位")
            await outbox.add(session, TaskDueChanged(**event_fields(have, ref.actor), title=have.title, due_date=have.due_date))  # type: ignore[arg-type]
        else:
            continue
        changed += 1
    for tid, have in existing.items():
        if tid not in wanted and have.status not in DONE:
            reason = f"第{ref.version}版计划删除了该条目" if item is None else f"第{ref.version}版计划调整了分解对象"
            _entry(session, have, "declined", ref, have.status, "declined", reason)
            have.status = "declined"
            have.updated_at = utcnow()
            session.add(have)
            await outbox.add(session, TaskDeclined(**event_fields(have, ref.actor), reason=reason))  # type: ignore[arg-type]
            changed += 1
    return changed


def _differs(have: Task, want: Task) -> bool:
    return (have.title, have.body, have.due_date, have.issuer_unit_id, have.parent_id) != (want.title, want.body, want.due_date, want.issuer_unit_id, want.parent_id)


def _apply(have: Task, want: Task) -> None:
    have.title, have.body, have.due_date = want.title, want.body, want.due_date
    have.issuer_unit_id, have.parent_id, have.plan_version = want.issuer_unit_id, want.parent_id, want.plan_version
    have.updated_at = utcnow()


def _entry(session: AsyncSession, task: Task, action: str, ref: PlanRef, before: str | None, after: str, note: str) -> None:
    session.add(TaskEntry(task_id=task.id, action=action, actor=ref.actor, from_status=before, to_status=after, note=note))
