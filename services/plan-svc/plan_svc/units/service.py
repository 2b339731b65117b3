"""Keep the local directory copy current, and resolve a draft's unit names against it."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.events import utcnow
from duban_shared.events.catalogue import UnitUpserted
from plan_svc.parsing import review
from plan_svc.units.models import DirectoryUnit
from plan_svc.units.resolve import Candidate, Resolver

# Plans name the bureau's departments and the district bureaus; schools are reached through targets, not names
# (they are kept too, with their type, so the revision preview can count who a change reaches).
RESOLVED_KINDS = ("city", "department", "district")


async def upsert_unit(*, session: AsyncSession, event: UnitUpserted) -> None:
    """Create or overwrite the local copy of one unit."""
    unit = await session.get(DirectoryUnit, event.id)
    if unit is None:
        unit = DirectoryUnit(id=event.id, code=event.code, name=event.name, kind=event.kind)
    unit.sqlmodel_update({"code": event.code, "name": event.name[:128], "kind": event.kind, "parent_id": event.parent_id,
                          "school_type": event.school_type, "active": event.active, "updated_at": utcnow()})
    session.add(unit)


async def reresolve_units(*, session: AsyncSession, item: Any) -> None:
    """After an edit of an item's units: fresh ids and unresolved names, unit doubts recomputed (others kept)."""
    res = await resolver(session=session)
    view: dict[str, Any] = {"lead_units": item.lead_units, "supporting_units": item.supporting_units}
    kept = [r for r in (item.reasons or []) if not r.startswith(review.UNIT_REASONS)]
    review.rescore(view, kept)
    if not item.lead_units:
        review.add(view, "no_units", "没有写明牵头或责任单位")
    if res is not None:
        resolve_item(view, res)
    item.lead_unit_ids = view.get("lead_unit_ids", [])
    item.supporting_unit_ids = view.get("supporting_unit_ids", [])
    item.unresolved_units = view.get("unresolved_units", [])
    item.reasons, item.confidence = view["reasons"], view["confidence"]


async def resolver(*, session: AsyncSession) -> Resolver | None:
    """A resolver over the active units of the local copy; None while the copy is still empty."""
    active = DirectoryUnit.active == True
    rows = (await session.exec(select(DirectoryUnit).where(active, DirectoryUnit.kind.in_(RESOLVED_KINDS)))).all()  # type: ignore[attr-defined]
    return Resolver([Candidate(u.id, u.name) for u in rows]) if rows else None


def resolve_item(item: dict[str, Any], res: Resolver) -> list[str]:
    """Unit ids, unresolved names and unit reasons of one item (a dict with lead_units/supporting_units)."""
    item["unresolved_units"] = []
    for field, names in (("lead_unit_ids", item.get("lead_units") or []), ("supporting_unit_ids", item.get("supporting_units") or [])):
        item[field] = []
        for name in names:
            r = res.resolve(name)
            if r.unit is not None:
                if r.unit.id not in item[field]:
                    item[field].append(r.unit.id)
                if r.kind == "alias":
                    review.add(item, "unit_alias", f"单位按别名对应：{name}→{r.unit.name}")
                elif r.kind == "abbreviation":
                    review.add(item, "unit_guess", f"单位按简称推断：{name}→{r.unit.name}，请核对")
            elif r.kind == "unresolved" and name not in item["unresolved_units"]:
                item["unresolved_units"].append(name)
    if item["unresolved_units"]:
        review.add(item, "unit_unresolved", f"单位未能对应到名录：{'、'.join(item['unresolved_units'])}")
    return item["unresolved_units"]


def resolve_draft(draft: dict[str, Any], res: Resolver | None) -> None:
    """Add unit ids, unresolved names and the matching reasons to every item; refresh check_first and warnings."""
    if res is None:
        draft["warnings"].append("plan-svc 还没有收到单位名录，暂未把责任单位对应到名录中的单位，请在发布前核对。")
        return
    unresolved_all: list[str] = []
    for section in draft.get("sections", []):
        for item in section["items"]:
            unresolved_all += [n for n in resolve_item(item, res) if n not in unresolved_all]
    draft["check_first"] = review.check_first(draft.get("sections", []))
    if unresolved_all:
        shown = "、".join(unresolved_all[:10]) + ("等" if len(unresolved_all) > 10 else "")
        draft["warnings"].append(f"{len(unresolved_all)}个单位名称未能对应到单位名录（{shown}），这些单位不会收到任务，请在发布前改为名录中的单位。")
