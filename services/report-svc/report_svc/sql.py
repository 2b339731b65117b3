"""Dialect-aware INSERT … ON CONFLICT for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

CHUNK = 400  # rows per statement: stays under SQLite's bound-parameter limit at ~25 columns


def insert_for(session: AsyncSession, table: sa.Table) -> Any:
    """An INSERT of the session's dialect that supports on_conflict_do_nothing/update."""
    name = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert(table) if name == "postgresql" else sqlite.insert(table)


def chunks(rows: list[dict[str, Any]], size: int = CHUNK) -> list[list[dict[str, Any]]]:
    """Rows in statement-sized chunks."""
    return [rows[i : i + size] for i in range(0, len(rows), size)]
