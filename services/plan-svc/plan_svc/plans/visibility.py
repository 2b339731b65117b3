"""What non-editors may read: published versions only, never drafts, unpublished edits or uploaded originals."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import Principal
from duban_shared.errors import not_found
from plan_svc.plans.models import Plan, PlanVersion, Section


def is_editor(user: Principal) -> bool:
    """City plan administrators and admins see drafts and originals."""
    return user.is_admin or user.has("plan_admin")


async def published_tree(*, session: AsyncSession, plan: Plan) -> dict[str, Any]:
    """The plan as last published (the frozen snapshot), shaped like plan_tree; 404 when never published."""
    if plan.version <= 0:
        raise not_found("计划")  # a draft does not exist for readers, so they learn nothing about it
    ver = await session.get(PlanVersion, (plan.id, plan.version))
    if ver is None:
        raise not_found("计划")
    rows = (await session.exec(select(Section).where(Section.plan_id == plan.id))).all()
    ids = {(s.number, s.title): s.id for s in rows}
    sections: list[dict[str, Any]] = []
    index: dict[tuple[str, str], dict[str, Any]] = {}
    for it in ver.snapshot.get("items", []):
        key = (it.get("section_number", ""), it.get("section_title", ""))
        sec = index.get(key)
        if sec is None:
            sec = {"id": ids.get(key, f"{plan.id}:v{ver.version}:s{len(sections)}"), "number": key[0], "title": key[1] or "（无标题）",
                   "position": len(sections), "items": []}
            index[key] = sec
            sections.append(sec)
        sec["items"].append({**it, "section_id": sec["id"], "position": len(sec["items"])})
    snap = ver.snapshot
    return {
        "id": plan.id, "title": snap.get("title", plan.title), "year": snap.get("year"), "issuer": snap.get("issuer"),
        "status": "published", "version": ver.version, "dirty": False, "updated_at": ver.published_at,
        "warnings": [], "key_tasks": [], "sections": sections, "files": [], "check_first": [],
    }
