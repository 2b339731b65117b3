"""Who sees which tasks, and how a caller stands towards one task (the roles lifecycle.check() asks for).

Visibility is one SQL condition, used for lists and for fetching a single task alike, so the two
can never disagree: a school sees its own tasks; a district its own and its schools'; a department
the tasks it leads or supports and their descendants (plus what it issued); the city everything.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import Principal
from duban_shared.errors import AppError
from task_svc.directory.models import Unit
from task_svc.tasks.lifecycle import CITY, CO_OWNER, ISSUER, LEAD, UNIT
from task_svc.tasks.models import Task, TaskCoOwner

CITY_ROLES = ("admin", "city", "plan_admin")


def is_city(p: Principal) -> bool:
    """City bureau administrators: they see every task and act as the city bureau."""
    return p.is_admin or p.has(*CITY_ROLES) or p.unit_kind == "city"


async def _tree_roots(session: AsyncSession, unit_id: str) -> list[str]:
    """Tasks a department leads or supports: their trees are visible to it."""
    own = select(Task.id).where(Task.unit_id == unit_id)
    co = select(TaskCoOwner.task_id).where(TaskCoOwner.unit_id == unit_id)
    return [r[0] for r in (await session.exec(own.union(co))).all()]  # type: ignore[call-overload]


async def visibility(session: AsyncSession, p: Principal) -> ColumnElement[bool] | None:
    """The SQL condition for the tasks the caller may see (None: everything)."""
    if is_city(p):
        return None
    me = p.unit_id
    if not me:
        return sa.false()
    if p.unit_kind == "district":
        schools = list((await session.exec(select(Unit.id).where(Unit.parent_id == me))).all())
        return Task.unit_id.in_([me, *schools])  # type: ignore[attr-defined]
    if p.unit_kind == "school":
        return Task.unit_id == me  # type: ignore[return-value]
    roots = await _tree_roots(session, me)
    if not roots:
        return sa.or_(Task.unit_id == me, Task.issuer_unit_id == me)
    # parent_id covers trees written before root_id existed (two levels deep).
    return sa.or_(Task.unit_id == me, Task.issuer_unit_id == me, Task.id.in_(roots),  # type: ignore[attr-defined]
                  Task.root_id.in_(roots), Task.parent_id.in_(roots))  # type: ignore[union-attr]


# A person's roles within their unit (issued by invitation). A token with none of them is a unit account
# (demo accounts hold them all) and acts for the whole unit, as before people existed.
DOES_WORK, REVIEWS = "operator", "reviewer"
PERSON_ROLES = frozenset({"operator", "reviewer", "leader", "unit_admin"})


def person_filter(p: Principal, relations: set[str], needed: frozenset[str] | None) -> set[str]:
    """Keep the relations this person may act in: 经办人 does the unit's work, 审核人 acts as the issuing level."""
    person = set(p.roles) & PERSON_ROLES
    if not person:
        return relations
    kept = set(relations)
    if DOES_WORK not in person:
        kept -= {UNIT, CO_OWNER}
    if REVIEWS not in person:
        kept -= {ISSUER, LEAD}
    if needed is not None and relations & needed and not kept & needed:
        lost = (relations - kept) & needed
        need = "经办人" if lost & {UNIT, CO_OWNER} else "审核人"
        raise AppError(403, "role_required", f"您在本单位的角色不含{need}，不能办理此操作；请联系单位管理员分配角色")
    return kept


async def roles_for(session: AsyncSession, p: Principal, task: Task, needed: frozenset[str] | None = None) -> set[str]:
    """The caller's relations to the task (see `relations_to`), narrowed by the person's roles in their unit."""
    return person_filter(p, await relations_to(session, p, task, needed), needed)


async def relations_to(session: AsyncSession, p: Principal, task: Task, needed: frozenset[str] | None = None) -> set[str]:
    """How the caller stands towards a task it can see: unit, co_owner, issuer, lead (of a task below its own), city.

    With `needed`, lookups stop as soon as one of those roles is found (an acknowledgement by the unit
    itself costs no query).
    """
    roles: set[str] = set()
    if is_city(p):
        roles.add(CITY)
    me = p.unit_id
    if not me:
        return roles
    if task.unit_id == me:
        roles.add(UNIT)
    if task.issuer_unit_id == me:
        roles.add(ISSUER)

    def settled() -> bool:
        return needed is not None and bool(roles & needed)

    if not settled() and (needed is None or CO_OWNER in needed) and await session.get(TaskCoOwner, (task.id, me)) is not None:
        roles.add(CO_OWNER)
    if settled() or (needed is not None and LEAD not in needed):
        return roles
    root_id = task.root_id or (task.parent_id if task.level == "district" else None) or task.id
    root = None if root_id == task.id else await session.get(Task, root_id)
    if root is not None and root.level == "city" and root.unit_id == me:
        roles.add(LEAD)
    return roles
