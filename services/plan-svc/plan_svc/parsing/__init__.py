"""Turn a work-plan document (工作要点) into a draft following plan-draft.schema.json."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from plan_svc.parsing.draft import build_draft
from plan_svc.parsing.errors import MAX_UPLOAD_BYTES, PlanParseError
from plan_svc.parsing.extract import extract_text

__all__ = ["MAX_UPLOAD_BYTES", "PlanParseError", "extract_text", "parse_plan_file", "parse_plan_text"]


def parse_plan_text(text: str) -> dict[str, Any]:
    """The draft for a plan given as text; raises PlanParseError when nothing plan-like is in it."""
    if not isinstance(text, str) or not text.strip():
        raise PlanParseError("empty_file", "没有可导入的内容")
    return build_draft(text)


def parse_plan_file(data: bytes, filename: str) -> dict[str, Any]:
    """The draft for an uploaded .txt/.docx/.pdf; raises PlanParseError for files that cannot be a plan."""
    draft = parse_plan_text(extract_text(data, filename))
    if draft["title"] == "未命名计划":
        stem = PurePath(filename or "").stem.strip()
        if re.search(r"[\u4e00-\u9fff]", stem) and len(stem) <= 100:
            draft["title"] = stem
            draft["warnings"] = [w.replace("已暂定为“未命名计划”", f"已暂用文件名“{stem}”") for w in draft["warnings"]]
    return draft
