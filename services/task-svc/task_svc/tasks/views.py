"""Build the task shapes the API answers with (one query per part, never per row)."""

from __future__ import annotations

import json

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from task_svc.directory.models import Unit
from task_svc.tasks import service
from task_svc.tasks.models import ExtensionRequest, ProgressReport, Task, TaskEntry
from task_svc.tasks.schemas import ExtensionPublic, ReportPublic, TaskDetail, TaskPublic, TimelineEntry

REASONED = {"returned", "declined", "withdrawn", "reassigned", "extension_requested", "extension_decided"}


async def unit_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    """Unit names by id, in one query."""
    if not ids:
        return {}
    rows = (await session.exec(select(Unit.id, Unit.name).where(Unit.id.in_(ids)))).all()  # type: ignore[attr-defined]
    return {i: n for i, n in rows}


def public(t: Task, names: dict[str, str]) -> dict[str, object]:
    """A task's list fields."""
    return {**t.model_dump(exclude={"indicator_values"}), "unit_name": names.get(t.unit_id), "warning": service.warning_for(t)}


async def page(session: AsyncSession, rows: list[Task], total: int) -> dict[str, object]:
    """A list page with unit names."""
    names = await unit_names(session, {t.unit_id for t in rows})
    return {"items": [TaskPublic(**public(t, names)) for t in rows], "total": total}


def timeline_entry(e: TaskEntry) -> TimelineEntry:
    """One timeline entry as the API shows it."""
    return TimelineEntry(action=e.action, actor=e.actor, actor_name=e.actor_name, actor_unit_id=e.actor_unit_id,
                         from_status=e.from_status, to_status=e.to_status, note=e.note,
                         reason=e.note if e.action in REASONED else None, attachments=json.loads(e.attachments or "[]"),
                         data=json.loads(e.data) if e.data else None, at=e.at)


def report_public(r: ProgressReport) -> ReportPublic:
    """One progress report as the API shows it."""
    return ReportPublic(id=r.id, percent=r.percent, note=r.note, indicator_values=json.loads(r.indicator_values),
                        evidence_ids=json.loads(r.evidence_ids), actor=r.actor, actor_name=r.actor_name, actor_unit_id=r.actor_unit_id, at=r.at)


async def _extras(session: AsyncSession, t: Task) -> tuple[str | None, ProgressReport | None, ExtensionRequest | None]:
    """The unit's name, the latest report and the open extension request, in one round trip when there are none."""
    report = select(ProgressReport.id).where(ProgressReport.task_id == t.id).order_by(
        ProgressReport.at.desc(), ProgressReport.id.desc()).limit(1)  # type: ignore[attr-defined]
    ext = select(ExtensionRequest.id).where(ExtensionRequest.task_id == t.id, ExtensionRequest.status == "pending").limit(1)
    name = select(Unit.name).where(Unit.id == t.unit_id)
    row = (await session.exec(select(name.scalar_subquery(), report.scalar_subquery(), ext.scalar_subquery()))).one()
    return (row[0], await session.get(ProgressReport, row[1]) if row[1] else None,
            await session.get(ExtensionRequest, row[2]) if row[2] else None)


async def detail(session: AsyncSession, t: Task) -> TaskDetail:
    """GET /api/tasks/{id}: the task, its latest report, open extension, roll-up and timeline."""
    name, latest, ext = await _extras(session, t)
    entries = await service.timeline(session=session, task_id=t.id)
    returned = next((e.note for e in reversed(entries) if e.action == "returned"), None) if t.status == "returned" else None
    return TaskDetail(
        **public(t, {t.unit_id: name} if name else {}), indicator_values=json.loads(t.indicator_values or "[]"),
        latest_report=report_public(latest) if latest else None,
        pending_extension=ExtensionPublic.model_validate(ext, from_attributes=True) if ext else None,
        # A school task is a leaf: no children to roll up, so no query for them.
        return_reason=returned, rollup=None if t.level == "school" else await service.rollup(session=session, task_id=t.id),
        timeline=[timeline_entry(e) for e in entries],
    )
