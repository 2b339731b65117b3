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

# Plans name the bureau's departments and the district bureaus; schools are reached through targets, not names.
RESOLVED_KINDS = ("city", "department", "district")


async def upsert_unit(*, session: AsyncSession, event: UnitUpserted) -> None:
    """Create or overwrite the local copy of one unit; schools are not kept."""
    if event.kind not in RESOLVED_KINDS:
        return
    unit = await session.get(DirectoryUnit, event.id)
    if unit is None:
        unit = DirectoryUnit(id=event.id, code=event.code, name=event.name, kind=event.kind)
    unit.sqlmodel_update({"code": event.code, "name": event.name, "kind": event.kind, "parent_id": event.parent_id,
                          "active": event.active, "updated_at": utcnow()})
    session.add(unit)


async def resolver(*, session: AsyncSession) -> Resolver | None:
    """A resolver over the active units of the local copy; None while the copy is still empty."""
    rows = (await session.exec(select(DirectoryUnit).where(DirectoryUnit.active == True))).all()
    return Resolver([Candidate(u.id, u.name) for u in rows]) if rows else None


def resolve_draft(draft: dict[str, Any], res: Resolver | None) -> None:
    """Add unit ids, unresolved names and the matching reasons to every item; refresh check_first and warnings."""
    if res is None:
        draft["warnings"].append("plan-svc 还没有收到单位名录，暂未把责任单位对应到名录中的单位，请在发布前核对。")
        return
    unresolved_all: list[str] = []
    for section in draft.get("sections", []):
        for item in section["items"]:
            item["unresolved_units"] = []
            for field, names in (("lead_unit_ids", item.get("lead_units", [])), ("supporting_unit_ids", item.get("supporting_units", []))):
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
                    elif r.kind == "unresolved":
                        item["unresolved_units"].append(name)
                        unresolved_all += [name] if name not in unresolved_all else []
            if item["unresolved_units"]:
                review.add(item, "unit_unresolved", f"单位未能对应到名录：{'、'.join(item['unresolved_units'])}")
    draft["check_first"] = review.check_first(draft.get("sections", []))
    if unresolved_all:
        shown = "、".join(unresolved_all[:10]) + ("等" if len(unresolved_all) > 10 else "")
        draft["warnings"].append(f"{len(unresolved_all)}个单位名称未能对应到单位名录（{shown}），这些单位不会收到任务，请在发布前改为名录中的单位。")
