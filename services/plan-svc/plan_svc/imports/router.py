"""POST /api/plans/import (document or raw text → draft plan); download of uploaded originals."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from duban_shared.app import CtxDep, SessionDep
from duban_shared.auth import CurrentUser
from duban_shared.errors import AppError
from plan_svc.imports import service
from plan_svc.parsing import MAX_UPLOAD_BYTES
from plan_svc.plans import service as plans
from plan_svc.plans.schemas import PlanImportOut, PlanOut

router = APIRouter(prefix="/api/plans", tags=["plans"])


async def _read_upload(request: Request) -> tuple[bytes, str]:
    """(data, filename) from multipart `file` / `text`, or a text/plain body (filename "")."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("text/plain"):
        return await request.body(), ""
    if not ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise AppError(415, "unsupported_media_type", "请以 multipart/form-data 上传文件（字段名 file），或以 text/plain 提交正文")
    try:
        form = await request.form(max_files=1, max_fields=5, max_part_size=MAX_UPLOAD_BYTES + 1)
    except Exception as exc:  # a broken multipart body is the client's mistake, never a 500
        raise AppError(400, "bad_multipart", "上传内容格式错误，无法读取文件") from exc
    upload: Any = form.get("file")
    if isinstance(upload, UploadFile):
        return await upload.read(MAX_UPLOAD_BYTES + 1), upload.filename or "upload.txt"
    text = form.get("text")
    if isinstance(text, str):
        return text.encode("utf-8"), ""
    raise AppError(422, "file_missing", "请选择要导入的计划文件（字段名 file）")


@router.post("/import", response_model=PlanImportOut, status_code=status.HTTP_201_CREATED)
async def import_plan(request: Request, session: SessionDep, ctx: CtxDep, user: CurrentUser) -> PlanImportOut:
    """Parse an uploaded .txt/.docx/.pdf (or posted text) and store it as a draft plan."""
    plans.require_editor(user)
    data, filename = await _read_upload(request)
    settings = ctx.settings
    plan, _ = await service.import_document(session=session, data=data, filename=filename, actor=user.username,
                                            memory_mb=getattr(settings, "parse_memory_mb", 1024),
                                            timeout_s=getattr(settings, "parse_timeout_s", 60.0))
    await session.commit()
    tree = PlanOut.model_validate(await plans.plan_tree(session=session, plan=plan))
    return PlanImportOut(id=plan.id, status=plan.status, version=plan.version, draft=tree)


@router.get("/{plan_id}/files/{file_id}")
async def download_file(plan_id: str, file_id: str, session: SessionDep, user: CurrentUser) -> Response:
    """The original document as uploaded (plan editors only)."""
    plans.require_editor(user)
    f = await service.get_file(session=session, plan_id=plan_id, file_id=file_id)
    disposition = f"attachment; filename*=UTF-8''{quote(f.filename)}"
    return Response(f.data, media_type=f.content_type, headers={"Content-Disposition": disposition, "X-Content-SHA256": f.sha256})
