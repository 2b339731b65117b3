"""Import a plan document: parse it, store the draft and the original in one transaction."""

from __future__ import annotations

import hashlib
import mimetypes
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.errors import AppError, not_found
from plan_svc.parsing import PlanParseError
from plan_svc.parsing.sandbox import parse_isolated
from plan_svc.plans.models import Plan, PlanFile
from plan_svc.plans.schemas import PlanDraftIn
from plan_svc.plans.service import create_from_draft, new_id
from plan_svc.units.service import resolve_draft, resolver

# Parser codes that mean "the upload itself is wrong" (413/415); everything else is 422/400.
_STATUS = {"file_too_large": 413, "unsupported_type": 415}
_LIMITS = {"title": 500, "body": 20000, "number": 16}


def _clip(value: Any, limit: int) -> Any:
    return value[:limit] if isinstance(value, str) else value


def fit_draft(raw: dict[str, Any]) -> PlanDraftIn:
    """The parser's draft as the plan model takes it (over-long text clipped, nameless indicators dropped)."""
    draft = dict(raw)
    draft["title"] = _clip(draft.get("title") or "未命名计划", 300)
    sections = []
    for s in raw.get("sections") or []:
        items = []
        for it in s.get("items") or []:
            it = {k: _clip(v, _LIMITS[k]) if k in _LIMITS else v for k, v in it.items()}
            it["title"] = it.get("title") or "（无标题）"
            it["indicators"] = [{**i, "name": _clip(i.get("name"), 200), "text": _clip(i.get("text") or "", 500),
                                 "unit": _clip(i.get("unit") or "", 20)} for i in it.get("indicators") or [] if i.get("name")]
            items.append(it)
        sections.append({**s, "number": _clip(s.get("number") or "", 16), "title": _clip(s.get("title") or "（无标题）", 300), "items": items})
    draft["sections"] = sections
    try:
        return PlanDraftIn.model_validate(draft)
    except ValidationError as exc:
        raise AppError(422, "draft_invalid", "解析结果不完整，无法保存为计划草稿", exc.errors(include_url=False, include_context=False)) from exc


async def parse_upload(data: bytes, filename: str, *, memory_mb: int, timeout_s: float) -> dict[str, Any]:
    """Parse an upload (raw text when filename is empty) in a limited child process; clear 4xx for bad documents."""
    try:
        return await parse_isolated(data, filename, memory_mb=memory_mb, timeout_s=timeout_s)
    except PlanParseError as exc:
        raise AppError(_STATUS.get(exc.code, 422), exc.code, exc.message) from exc


async def import_document(*, session: AsyncSession, data: bytes, filename: str, actor: str,
                          memory_mb: int = 1024, timeout_s: float = 60.0) -> tuple[Plan, PlanFile | None]:
    """Parse and store a document as a draft plan; the original is kept with it. Nothing is stored on failure."""
    parsed = await parse_upload(data, filename, memory_mb=memory_mb, timeout_s=timeout_s)
    resolve_draft(parsed, await resolver(session=session))
    plan = await create_from_draft(session=session, draft=fit_draft(parsed), actor=actor)
    original = None
    if filename:
        original = PlanFile(
            id=new_id(), plan_id=plan.id, filename=filename[:255], size=len(data), sha256=hashlib.sha256(data).hexdigest(),
            content_type=mimetypes.guess_type(filename)[0] or "application/octet-stream", data=data, uploaded_by=actor,
        )
        session.add(original)
        await session.flush()
    return plan, original


async def get_file(*, session: AsyncSession, plan_id: str, file_id: str) -> PlanFile:
    """An uploaded original of a plan, or 404."""
    f = await session.get(PlanFile, file_id)
    if f is None or f.plan_id != plan_id:
        raise not_found("原始文件")
    return f
