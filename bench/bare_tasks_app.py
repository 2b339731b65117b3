"""The raw limit for bench_tasks: bare FastAPI routes doing the same database work with no service around it.

`POST /ack/{id}` is one row update (what an acknowledgement must at least do); `GET /list` is the count and
the page a unit's task list needs. Same engine and pool settings as the services (duban_shared.db.Database).
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import text

from duban_shared.db import Database


def create_app() -> FastAPI:
    """The bare app, on BENCH_DATABASE_URL."""
    db = Database(os.environ["BENCH_DATABASE_URL"])
    app = FastAPI()

    @app.post("/ack/{task_id}")
    async def ack(task_id: str) -> dict[str, int]:
        async with db.engine.begin() as conn:
            n = (await conn.execute(text("UPDATE tasks SET status = 'acknowledged', updated_at = now() WHERE id = :id"), {"id": task_id})).rowcount
        return {"updated": n}

    @app.get("/list")
    async def page(unit_ids: str, limit: int = 50) -> dict[str, object]:
        ids = unit_ids.split(",")
        async with db.engine.connect() as conn:
            total = (await conn.execute(text("SELECT count(*) FROM tasks WHERE unit_id = ANY(:ids)"), {"ids": ids})).scalar()
            rows = (await conn.execute(text("SELECT * FROM tasks WHERE unit_id = ANY(:ids) ORDER BY due_date, id LIMIT :n"),
                                       {"ids": ids, "n": limit})).mappings().all()
        return {"items": [dict(r) for r in rows], "total": total}

    return app
