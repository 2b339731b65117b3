"""Plans: create from a draft, read the tree, edit items, publish versions."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import Principal
from duban_shared.errors import AppError, not_found
from duban_shared.events import utcnow
from duban_shared.events.catalogue import ItemChange, PlanItemSnapshot, PlanPublished, PlanRevised
from duban_shared.messaging import Outbox
from plan_svc.parsing.review import check_first
from plan_svc.plans.models import Indicator, Item, Plan, PlanFile, PlanVersion, Section
from plan_svc.plans.schemas import IndicatorIn, ItemPatch, PlanDraftIn
from plan_svc.units.service import reresolve_units

SNAPSHOT_FIELDS = ("title", "body", "lead_units", "supporting_units", "deadline", "indicators", "targets", "number", "section_title")


def new_id() -> str:
    """A fresh id."""
    return str(uuid.uuid4())


def _indicators(item_id: str, indicators: list[IndicatorIn]) -> list[Indicator]:
    return [Indicator(id=new_id(), item_id=item_id, position=i, **ind.model_dump()) for i, ind in enumerate(indicators)]


async def create_from_draft(*, session: AsyncSession, draft: PlanDraftIn, actor: str) -> Plan:
    """Store a draft as a plan in status draft, giving every section, item and indicator an id."""
    plan = Plan(id=new_id(), title=draft.title, issuer=draft.issuer, year=draft.year, warnings=list(draft.warnings),
                key_tasks=list(draft.key_tasks), created_by=actor)
    sections: list[Section] = []
    items: list[Item] = []
    indicators: list[Indicator] = []
    for s_pos, s in enumerate(draft.sections):
        section = Section(id=new_id(), plan_id=plan.id, position=s_pos, number=s.number, title=s.title)
        sections.append(section)
        for i_pos, it in enumerate(s.items):
            item = Item(id=new_id(), plan_id=plan.id, section_id=section.id, position=i_pos, number=it.number, title=it.title,
                        body=it.body, lead_units=it.lead_units, supporting_units=it.supporting_units, deadline=it.deadline,
                        targets=it.targets.model_dump(), group=it.group, deadline_text=it.deadline_text,
                        lead_unit_ids=it.lead_unit_ids, supporting_unit_ids=it.supporting_unit_ids,
                        unresolved_units=it.unresolved_units, confidence=it.confidence, reasons=it.reasons)
            items.append(item)
            indicators += _indicators(item.id, it.indicators)
    # No ORM relationships, so the unit of work does not order parents first: flush level by level.
    for level in ([plan], sections, items, indicators):
        session.add_all(level)
        await session.flush()
    return plan


async def list_plans(*, session: AsyncSession, published_only: bool, limit: int, offset: int) -> dict[str, Any]:
    """A page of plans, newest first; only ever-published plans (as published) when published_only."""
    query = select(Plan)
    count = select(func.count()).select_from(Plan)
    if published_only:
        query, count = query.where(Plan.version > 0), count.where(Plan.version > 0)
    total = (await session.exec(count)).one()
    rows = (await session.exec(query.order_by(Plan.created_at.desc()).limit(limit).offset(offset))).all()  # type: ignore[attr-defined]
    items = []
    for p in rows:
        row = p.model_dump()
        if published_only:
            ver = await session.get(PlanVersion, (p.id, p.version))
            snap = ver.snapshot if ver else {}
            row.update(title=snap.get("title", p.title), year=snap.get("year", p.year), status="published", dirty=False,
                       updated_at=ver.published_at if ver else p.updated_at)
        items.append(row)
    return {"items": items, "total": int(total)}


async def get_plan(*, session: AsyncSession, plan_id: str) -> Plan:
    """A plan or 404."""
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise not_found("计划")
    return plan


async def plan_tree(*, session: AsyncSession, plan: Plan) -> dict[str, Any]:
    """The plan with sections, items and indicators, in order."""
    sections = (await session.exec(select(Section).where(Section.plan_id == plan.id).order_by(Section.position))).all()
    items = (await session.exec(select(Item).where(Item.plan_id == plan.id).order_by(Item.position))).all()
    item_ids = [i.id for i in items]
    inds = (await session.exec(select(Indicator).where(Indicator.item_id.in_(item_ids)).order_by(Indicator.position))).all() if item_ids else []  # type: ignore[attr-defined]
    files = (await session.exec(select(PlanFile.id, PlanFile.filename, PlanFile.size, PlanFile.uploaded_at).where(PlanFile.plan_id == plan.id))).all()
    by_item: dict[str, list[dict[str, Any]]] = {}
    for ind in inds:
        by_item.setdefault(ind.item_id, []).append(ind.model_dump(exclude={"item_id", "position"}))
    by_section: dict[str, list[dict[str, Any]]] = {}
    for it in items:
        by_section.setdefault(it.section_id, []).append({**it.model_dump(exclude={"plan_id"}), "indicators": by_item.get(it.id, [])})
    tree_sections = [{**s.model_dump(exclude={"plan_id"}), "items": by_section.get(s.id, [])} for s in sections]
    return {
        **plan.model_dump(),
        "sections": tree_sections,
        "files": [{"id": f[0], "filename": f[1], "size": f[2], "uploaded_at": f[3]} for f in files],
        "check_first": check_first(tree_sections, key="id"),
    }


def require_editor(user: Principal) -> None:
    """Only the city's plan administrators edit plans."""
    if not (user.is_admin or user.has("plan_admin")):
        raise AppError(403, "forbidden", "只有市教育局的计划管理员可以编辑计划")


async def patch_item(*, session: AsyncSession, plan_id: str, item_id: str, patch: ItemPatch) -> Item:
    """Change fields of one item; the plan becomes dirty until published again."""
    plan = await get_plan(session=session, plan_id=plan_id)
    item = await session.get(Item, item_id)
    if item is None or item.plan_id != plan.id:
        raise not_found("计划条目")
    data = patch.model_dump(exclude_unset=True)
    inds = data.pop("indicators", None)
    for k, v in data.items():
        if k == "title" and v is None:
            continue
        setattr(item, k, v)
    if inds is not None:
        for old in (await session.exec(select(Indicator).where(Indicator.item_id == item.id))).all():
            await session.delete(old)
        session.add_all(_indicators(item.id, [IndicatorIn(**d) for d in inds]))
    if "lead_units" in data or "supporting_units" in data:
        await reresolve_units(session=session, item=item)
    plan.dirty = plan.version > 0
    plan.updated_at = utcnow()
    session.add_all([item, plan])
    return item


def snapshot_items(tree: dict[str, Any]) -> list[PlanItemSnapshot]:
    """The item snapshots carried by plan events."""
    out: list[PlanItemSnapshot] = []
    pos = 0
    for s in tree["sections"]:
        for it in s["items"]:
            out.append(PlanItemSnapshot(
                id=it["id"], position=pos, section_number=s["number"], section_title=s["title"], number=it["number"],
                title=it["title"], body=it["body"], lead_units=it["lead_units"], supporting_units=it["supporting_units"],
                deadline=it["deadline"], indicators=it["indicators"], targets=it["targets"] or {},
                lead_unit_ids=it.get("lead_unit_ids") or [], supporting_unit_ids=it.get("supporting_unit_ids") or [],
                deadline_text=it.get("deadline_text") or "",
            ))
            pos += 1
    return out


def diff_items(old: list[dict[str, Any]], new: list[PlanItemSnapshot]) -> list[ItemChange]:
    """Item-by-item changes between the previous version's snapshot and the current tree."""
    before = {i["id"]: i for i in old}
    changes: list[ItemChange] = []
    for item in new:
        prev = before.pop(item.id, None)
        cur = item.model_dump(mode="json")
        if prev is None:
            changes.append(ItemChange(item_id=item.id, change="added", item=item))
            continue
        fields = [f for f in SNAPSHOT_FIELDS if prev.get(f) != cur.get(f)]
        if fields:
            changes.append(ItemChange(item_id=item.id, change="changed", fields=fields, item=item))
    changes += [ItemChange(item_id=i, change="removed") for i in before]
    return changes


async def publish(*, session: AsyncSession, outbox: Outbox, plan_id: str, actor: str) -> Plan:
    """Freeze the next version and emit plan.published (first) or plan.revised (later)."""
    plan = await get_plan(session=session, plan_id=plan_id)
    if plan.version > 0 and not plan.dirty:
        raise AppError(409, "nothing_to_publish", "计划自上次发布以来没有修改，无需重新发布")
    tree = await plan_tree(session=session, plan=plan)
    items = snapshot_items(tree)
    if not items:
        raise AppError(422, "empty_plan", "计划没有任何工作条目，无法发布")
    now = utcnow()
    default_deadline = date(plan.year, 12, 31) if plan.year else None
    snapshot = {"title": plan.title, "year": plan.year, "issuer": plan.issuer, "items": [i.model_dump(mode="json") for i in items]}
    previous = await session.get(PlanVersion, (plan.id, plan.version)) if plan.version else None
    plan.version += 1
    plan.status, plan.dirty, plan.updated_at = "published", False, now
    session.add(plan)
    session.add(PlanVersion(plan_id=plan.id, version=plan.version, snapshot=snapshot, published_by=actor, published_at=now))
    if previous is None:
        await outbox.add(session, PlanPublished(plan_id=plan.id, version=plan.version, title=plan.title, year=plan.year, issuer=plan.issuer,
                                                published_by=actor, published_at=now, default_deadline=default_deadline, items=items))
    else:
        changes = diff_items(previous.snapshot["items"], items)
        await outbox.add(session, PlanRevised(plan_id=plan.id, version=plan.version, previous_version=previous.version, title=plan.title,
                                              year=plan.year, published_by=actor, published_at=now, default_deadline=default_deadline, changes=changes))
    return plan
