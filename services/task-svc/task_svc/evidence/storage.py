"""Where evidence bytes live: a local directory (default) or the database (replicas share it)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from task_svc.evidence.models import EvidenceBlob


class EvidenceStore(Protocol):
    """Put, get and delete a file's bytes by id."""

    kind: str

    async def put(self, session: AsyncSession, file_id: str, data: bytes) -> None:
        """Store the bytes (a database store stages them in the session's transaction)."""

    async def get(self, session: AsyncSession, file_id: str) -> bytes | None:
        """The bytes, or None when they are gone."""

    async def delete(self, session: AsyncSession, file_id: str) -> None:
        """Remove the bytes (used when the transaction that stored them fails)."""


class LocalStore:
    """Files under a directory (var/evidence by default), two-level fan-out by id."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, file_id: str) -> Path:
        return self.root / file_id[:2] / file_id

    def _write(self, file_id: str, data: bytes) -> None:
        path = self._path(file_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    async def put(self, session: AsyncSession, file_id: str, data: bytes) -> None:
        """Write the file (atomically: a reader never sees half of it)."""
        await asyncio.to_thread(self._write, file_id, data)

    async def get(self, session: AsyncSession, file_id: str) -> bytes | None:
        """Read the file."""
        path = self._path(file_id)
        return await asyncio.to_thread(path.read_bytes) if path.exists() else None

    async def delete(self, session: AsyncSession, file_id: str) -> None:
        """Remove the file if present."""
        self._path(file_id).unlink(missing_ok=True)


class DatabaseStore:
    """Bytes in the evidence_blobs table, written in the same transaction as the metadata row."""

    kind = "database"

    async def put(self, session: AsyncSession, file_id: str, data: bytes) -> None:
        """Stage the blob row."""
        session.add(EvidenceBlob(file_id=file_id, data=data))

    async def get(self, session: AsyncSession, file_id: str) -> bytes | None:
        """Load the blob."""
        blob = await session.get(EvidenceBlob, file_id)
        return blob.data if blob else None

    async def delete(self, session: AsyncSession, file_id: str) -> None:
        """Nothing to do: a rolled-back transaction leaves no blob."""


def store_from_settings(settings: object) -> EvidenceStore:
    """The configured store: DUBAN_EVIDENCE_STORE=local (var/evidence) or database."""
    if getattr(settings, "evidence_store", "local") == "database":
        return DatabaseStore()
    return LocalStore(Path(settings.var_dir) / "evidence")
