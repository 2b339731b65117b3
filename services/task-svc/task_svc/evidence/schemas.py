"""Evidence API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class EvidencePublic(BaseModel):
    """A file as lists show it."""

    id: str
    task_id: str
    name: str
    size: int
    content_type: str
    uploader: str | None
    uploader_name: str | None
    uploader_unit_id: str | None
    report_id: str | None
    created_at: datetime


class EvidencePage(BaseModel):
    """A task's files."""

    items: list[EvidencePublic]
    total: int
