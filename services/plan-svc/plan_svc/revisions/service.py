"""The revision preview: the draft against the last published version, and the notices each change causes.

What task-svc does with plan.revised (`task_svc/tasks/reconcile.py`), per item: tasks for units the item
now wants are created (one digest per unit on plan.dispatched), tasks no longer wanted are withdrawn
(one notice per unit and item), and kept tasks whose title, body, due date or issuer changed get a
task.updated notice each. Counts come from plan-svc's directory copy; task states are task-svc's, so a
task already completed, which a revision leaves alone, is still counted here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.errors import AppError
from duban_shared.events.catalogue import PlanItemSnapshot
from plan_svc.plans import service as plans
from plan_svc.plans.models import PlanVersion
from plan_svc.revisions import describe, notices
from plan_svc.revisions.org import LEVELS, Org, Want, Wanted, load_org, wanted
from plan_svc.units.models import DirectoryUnit
from plan_svc.units.resolve import Resolver
from plan_svc.units.service import resolve_item, resolver

SHOWN_UNITS = 20
NOTES = {
    "indicators": "指标调整不单独发通知；各单位填报时按新指标填写。",
    "supporting_units": "配合单位调整不单独发通知。",
    "number": "编号调整不通知各单位。",
    "section_title": "所属部分调整不通知各单位。",
}


def _with_ids(item: PlanItemSnapshot, res: Resolver | None) -> PlanItemSnapshot:
    """An item whose unit names were never resolved (created from JSON, published before the directory came)
    gets ids as an import would give them; task-svc matches such names itself."""
    if res is None or item.lead_unit_ids or item.supporting_unit_ids or not (item.lead_units or item.supporting_units):
        return item
    view: dict[str, Any] = {"lead_units": item.lead_units, "supporting_units": item.supporting_units, "reasons": []}
    resolve_item(view, res)
    return item.model_copy(update={"lead_unit_ids": view["lead_unit_ids"], "supporting_unit_ids": view["supporting_unit_ids"]})


def _year_end(year: Any) -> date | None:
    return date(int(year), 12, 31) if year else None


async def _directory_counts(session: AsyncSession) -> dict[str, int]:
    q = select(DirectoryUnit.kind, sa.func.count()).where(DirectoryUnit.active == True).group_by(DirectoryUnit.kind)
    got = dict((await session.exec(q)).all())  # type: ignore[arg-type]
    return {"departments": got.get("department", 0), "districts": got.get("district", 0), "schools": got.get("school", 0)}


class _Builder:
    """Collects the audiences of every changed item, then words the notices (a unit's digest spans items)."""

    def __init__(self, org: Org | None, heading: str, version: int) -> None:
        self.org = org
        self.heading = heading
        self.version = version
        self.new_tasks: dict[str, list[tuple[notices.Line, str]]] = defaultdict(list)  # unit → (line, issuer id)
        self.told: set[str] = set()
        self.totals = {a: dict.fromkeys(LEVELS, 0) for a in ("assigned", "updated", "withdrawn")}

    def _code(self, unit_id: str) -> str:
        u = self.org.by_id.get(unit_id) if self.org else None
        return u.code if u else unit_id

    def _group(self, action: str, wants: list[Want]) -> list[dict[str, Any]]:
        by_level: dict[str, list[Want]] = defaultdict(list)
        for w in wants:
            by_level[w.level].append(w)
        out = []
        for level in LEVELS:
            ws = sorted(by_level.get(level, []), key=lambda w: self._code(w.unit_id))
            if ws:
                self.totals[action][level] += len(ws)
                self.told.update(w.unit_id for w in ws)
                names = [self.org.name(w.unit_id) for w in ws[:SHOWN_UNITS]] if self.org else []
                out.append({"action": action, "level": level, "count": len(ws), "units": names, "example": ws[0]})
        return out

    def item(self, old: PlanItemSnapshot | None, new: PlanItemSnapshot | None, wo: Wanted, wn: Wanted) -> list[dict[str, Any]]:
        """The audiences of one item (notices are worded later, by `word`)."""
        added = [w for u, w in wn.tasks.items() if u not in wo.tasks]
        gone = [w for u, w in wo.tasks.items() if u not in wn.tasks]
        content = old is not None and new is not None and (old.title, old.body) != (new.title, new.body)
        kept = [w for u, w in wn.tasks.items() if u in wo.tasks and (content or (w.due, w.issuer_id) != (wo.tasks[u].due, wo.tasks[u].issuer_id))]
        for w in added:
            self.new_tasks[w.unit_id].append((notices.Line(new.title, w.due), w.issuer_id))  # type: ignore[union-attr]
        reason = f"第{self.version}版计划删除了该条目" if new is None else f"第{self.version}版计划调整了分解对象"
        out = self._group("assigned", added) + self._group("updated", kept)
        for a in self._group("withdrawn", gone):
            a["notice"] = notices.withdrawn(reason, [notices.Line(old.title, wo.tasks[a["example"].unit_id].due)])  # type: ignore[union-attr]
            out.append(a)
        for a in out:
            if a["action"] == "updated":
                a["notice"] = notices.updated(new.title, a["example"].due)  # type: ignore[union-attr]
        return out

    def word(self, audiences: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Fill in the digests of new tasks (all of the example unit's new tasks of this version) and name the example."""
        for a in audiences:
            unit_id = a.pop("example").unit_id
            if a["action"] == "assigned":
                mine = self.new_tasks[unit_id]
                issuers = {self.org.name(i) if self.org else "上级单位" for _, i in mine}
                a["notice"] = notices.assigned(self.heading, issuers.pop() if len(issuers) == 1 else "上级单位", [line for line, _ in mine])
            n = a["notice"]
            a["notice"] = {"kind": n.kind, "title": n.title, "body": n.body, "unit_id": unit_id,
                           "unit_name": self.org.name(unit_id) if self.org else ""}
        return audiences


def _notes(fields: list[str], audiences: list[dict[str, Any]], removed: bool) -> list[str]:
    notes = [NOTES[f] for f in fields if f in NOTES]
    if removed or any(a["action"] == "withdrawn" and a["level"] == "district" for a in audiences):
        notes.append("区县已转派给学校的任务随区县任务一并撤回，这些学校也会收到撤回通知。")
    if any(a["action"] == "updated" and a["level"] == "district" for a in audiences):
        notes.append("区县自行转派给学校的任务不随修订变更。")
    return notes


async def preview(*, session: AsyncSession, plan_id: str) -> dict[str, Any]:
    """What publishing the draft now would change, item by item, and who would be told what."""
    plan = await plans.get_plan(session=session, plan_id=plan_id)
    if plan.version == 0:
        raise AppError(409, "not_published", "计划尚未发布：首次发布时各单位收到新任务通知，发布后再修改才有修订预览")
    version = await session.get(PlanVersion, (plan.id, plan.version))
    if version is None:
        raise AppError(409, "version_missing", f"找不到第{plan.version}版的发布记录，无法比较")
    old_items = [PlanItemSnapshot.model_validate(i) for i in version.snapshot["items"]]
    old_default, new_default = _year_end(version.snapshot.get("year")), _year_end(plan.year)
    new_items = plans.snapshot_items(await plans.plan_tree(session=session, plan=plan))
    org = await load_org(session=session)
    counts = await _directory_counts(session)
    warnings: list[str] = []
    if org is None:
        warnings.append("plan-svc 尚未收到单位名录，暂无法统计涉及的单位；发布后各单位仍按 task-svc 的名录收到通知。")
    elif counts["schools"] == 0:
        warnings.append("plan-svc 的名录副本中还没有学校，学校任务数暂按 0 计（task-svc 下次发布名录后补齐）。")

    res = await resolver(session=session) if org is not None else None

    def want(item: PlanItemSnapshot | None, default: date | None) -> Wanted:
        return wanted(_with_ids(item, res), org, default) if item is not None and org is not None else Wanted()

    b = _Builder(org, plan.title, plan.version + 1)
    before = {i.id: i for i in old_items}
    pairs = [(before.pop(i.id, None), i) for i in new_items] + [(o, None) for o in before.values()]
    rows = []
    for old, new in pairs:
        wo, wn = want(old, old_default), want(new, new_default)
        warnings += [w for w in wn.warnings if w not in warnings]
        if old is not None and new is not None:
            fields = describe.changed_fields(old, new, old_default, new_default)
            change, info = "changed", describe.details(fields, old, new, old_default, new_default)
        elif new is not None:
            fields, change = [], "added"
            info = [{"field": f, "label": describe.LABELS[f], "before": "", "after": describe.value(f, new, new_default)}
                    for f in ("lead_units", "deadline", "targets")]
        else:
            fields, change, info = [], "removed", []
        audiences = b.item(old, new, wo, wn)
        if change == "changed" and not fields and not audiences:
            continue
        item = new or old
        rows.append({"item_id": item.id, "number": item.number, "title": item.title, "change": change,  # type: ignore[union-attr]
                     "fields": fields, "details": info, "audiences": audiences, "notes": _notes(fields, audiences, new is None)})
    for r in rows:
        b.word(r["audiences"])
    return {"plan_id": plan.id, "title": plan.title, "published_version": plan.version, "next_version": plan.version + 1,
            "dirty": plan.dirty, "directory": counts, "items": rows, "warnings": warnings,
            "totals": {**b.totals, "units": len(b.told)}}
