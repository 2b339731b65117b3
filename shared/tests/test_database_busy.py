"""A SQLite write that times out on the lock answers 503 with the error shape and Retry-After, never a 500."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from duban_shared.errors import install_error_handlers


def _app(db_file: Path) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    engine = sa.create_engine(f"sqlite:///{db_file}", connect_args={"timeout": 0.2})

    @app.post("/write")
    def write() -> dict[str, int]:
        with engine.begin() as c:
            c.execute(sa.text("INSERT INTO t (n) VALUES (1)"))
        return {"ok": 1}

    @app.post("/broken")
    def broken() -> dict[str, int]:
        with engine.begin() as c:
            c.execute(sa.text("INSERT INTO missing (n) VALUES (1)"))
        return {"ok": 1}

    return app


async def test_locked_database_is_a_503_and_the_write_is_not_half_done(tmp_path: Path) -> None:
    db_file = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(db_file, isolation_level=None)
    holder.execute("CREATE TABLE t (n INTEGER)")
    transport = httpx.ASGITransport(app=_app(db_file), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the one write lock
        r = await c.post("/write")
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "database_busy" and "稍后重试" in r.json()["error"]["message"]
        assert r.headers["retry-after"] == "2"
        holder.execute("COMMIT")
        assert holder.execute("SELECT count(*) FROM t").fetchone() == (0,)
        assert (await c.post("/write")).status_code == 200  # the retry goes through
        # Other database errors stay what they are: a logged 500 with the same shape.
        r = await c.post("/broken")
        assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    assert holder.execute("SELECT count(*) FROM t").fetchone() == (1,)
    holder.close()
