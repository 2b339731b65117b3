"""`duban events replay`: mark outbox rows for re-publishing, service by service."""

from __future__ import annotations

import importlib
from datetime import datetime

from duban.stack import DATA_SERVICES, database_url
from duban_shared.db import Database
from duban_shared.messaging import Outbox


async def replay(since: datetime, services: list[str] | None, event_type: str | None) -> list[tuple[str, int]]:
    """Reset `published_at` of matching rows; each service's relay then publishes them again."""
    out: list[tuple[str, int]] = []
    for svc in DATA_SERVICES:
        if services and svc.name not in services and svc.name.removesuffix("-svc") not in services:
            continue
        tables = importlib.import_module(svc.module.split(".")[0] + ".base").TABLES
        db = Database(database_url(svc))
        try:
            async with db.engine.begin() as conn:
                count = await Outbox(tables, source="duban-cli", topic_prefix="").mark_for_replay(conn, since, event_type)
        finally:
            await db.dispose()
        out.append((svc.name, count))
    return out
