"""POST/GET /api/tasks/{id}/evidence, GET /api/tasks/{id}/evidence/{file_id}."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import Response

from duban_shared.app import SessionDep, UowDep
from duban_shared.auth import CurrentUser
from duban_shared.errors import AppError
from task_svc.evidence import service
from task_svc.evidence.schemas import EvidencePage, EvidencePublic
from task_svc.evidence.storage import EvidenceStore

router = APIRouter(prefix="/api/tasks", tags=["evidence"])
CHUNK = 256 * 1024


def _store(request: Request) -> EvidenceStore:
    return request.app.state.ctx.extras["evidence_store"]  # type: ignore[no-any-return]


async def _read_capped(file: UploadFile, limit: int) -> bytes:
    parts, size = [], 0
    while chunk := await file.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise AppError(413, "file_too_large", f"文件超过 {limit // (1024 * 1024)} MB 的上限")
        parts.append(chunk)
    return b"".join(parts)


@router.post("/{task_id}/evidence", response_model=EvidencePublic, status_code=201)
async def upload(task_id: str, file: UploadFile, request: Request, uow: UowDep, user: CurrentUser) -> EvidencePublic:
    """上传佐证材料 (multipart `file`); checked by content, stored, listed on the task."""
    data = await _read_capped(file, request.app.state.settings.evidence_max_bytes)
    store = _store(request)
    f = await service.upload(uow=uow, store=store, task_id=task_id, actor=user, name=file.filename or "", data=data)
    try:
        # Commit here rather than after the response: if it fails, the bytes must not stay behind.
        await uow.commit()
    except Exception:
        await store.delete(uow.session, f.id)
        raise
    return EvidencePublic.model_validate(f, from_attributes=True)


@router.get("/{task_id}/evidence", response_model=EvidencePage)
async def list_files(task_id: str, session: SessionDep, user: CurrentUser) -> EvidencePage:
    """The task's files: name, size, uploader, time."""
    files = await service.list_files(session=session, task_id=task_id, user=user)
    return EvidencePage(items=[EvidencePublic.model_validate(f, from_attributes=True) for f in files], total=len(files))


@router.get("/{task_id}/evidence/{file_id}")
async def download(task_id: str, file_id: str, request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """The file's bytes, as uploaded."""
    f, data = await service.read(session=session, store=_store(request), task_id=task_id, file_id=file_id, user=user)
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(f.name)}", "X-Content-Type-Options": "nosniff"}
    return Response(content=data, media_type=f.content_type, headers=headers)
