"""Upload, list and read evidence files of a task."""

from __future__ import annotations

import hashlib
import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.auth import Principal
from duban_shared.clock import clock
from duban_shared.errors import AppError, not_found
from duban_shared.uow import UnitOfWork
from task_svc.evidence import sniff
from task_svc.evidence.models import EvidenceFile
from task_svc.evidence.storage import EvidenceStore
from task_svc.tasks.actions import entry, load
from task_svc.tasks.service import get_task


async def upload(*, uow: UnitOfWork, store: EvidenceStore, task_id: str, actor: Principal, name: str, data: bytes) -> EvidenceFile:
    """Check the content and store the file for the task's unit (or a supporting department)."""
    task, _ = await load(uow=uow, task_id=task_id, actor=actor, action="evidence")
    name = name.strip().replace("/", "_").replace("\\", "_")[:255]
    if not name:
        raise AppError(422, "validation_error", "文件名不能为空")
    if not data:
        raise AppError(422, "empty_file", "文件为空")
    ctype = sniff.check(name, data)
    f = EvidenceFile(id=str(uuid.uuid4()), task_id=task.id, name=name, size=len(data), content_type=ctype,
                     sha256=hashlib.sha256(data).hexdigest(), storage=store.kind, uploader=actor.username,
                     uploader_name=getattr(actor, "display_name", None), uploader_unit_id=actor.unit_id, created_at=clock.now())
    uow.session.add(f)
    uow.session.add(entry(task, actor, "evidence_uploaded", task.status, note=name, attachments=[f.id]))
    await store.put(uow.session, f.id, data)
    return f


async def list_files(*, session: AsyncSession, task_id: str, user: Principal) -> list[EvidenceFile]:
    """The task's files, oldest first, for whoever may see the task."""
    task = await get_task(session=session, task_id=task_id, user=user)
    stmt = select(EvidenceFile).where(EvidenceFile.task_id == task.id).order_by(EvidenceFile.created_at, EvidenceFile.id)
    return list((await session.exec(stmt)).all())


async def read(*, session: AsyncSession, store: EvidenceStore, task_id: str, file_id: str, user: Principal) -> tuple[EvidenceFile, bytes]:
    """One file and its bytes, for whoever may see the task."""
    task = await get_task(session=session, task_id=task_id, user=user)
    f = await session.get(EvidenceFile, file_id)
    if f is None or f.task_id != task.id:
        raise not_found("佐证材料")
    data = await store.get(session, f.id)
    if data is None:
        raise not_found("佐证材料")
    return f, data
