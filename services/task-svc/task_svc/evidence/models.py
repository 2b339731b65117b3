"""Evidence file metadata, and the blobs of the database-backed store."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Column, Field

from duban_shared.events import utcnow
from task_svc.base import TaskSvcModel


class EvidenceFile(TaskSvcModel, table=True):
    """An uploaded file of a task: who, when, what it is (by content) and where its bytes are."""

    __tablename__ = "evidence_files"
    id: str = Field(primary_key=True, max_length=36)
    task_id: str = Field(max_length=36, index=True)
    name: str = Field(max_length=255)
    size: int
    content_type: str = Field(max_length=128)
    sha256: str = Field(max_length=64)
    storage: str = Field(max_length=16)  # local | database
    uploader: str | None = Field(default=None, max_length=64)
    uploader_name: str | None = Field(default=None, max_length=128)
    uploader_unit_id: str | None = Field(default=None, max_length=36)
    report_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow)


class EvidenceBlob(TaskSvcModel, table=True):
    """The bytes of a file kept in the database, so every replica reads the same files."""

    __tablename__ = "evidence_blobs"
    file_id: str = Field(primary_key=True, max_length=36)
    data: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
