"""Throwaway databases for tests: SQLite files in a temp dir, PostgreSQL databases made and dropped."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str:
    """The PostgreSQL server tests may use (DUBAN_TEST_POSTGRES_URL)."""
    return os.environ.get("DUBAN_TEST_POSTGRES_URL", DEFAULT_PG)


def postgres_available() -> bool:
    """True when the test PostgreSQL server answers."""
    try:
        eng = sa.create_engine(make_url(postgres_admin_url()).set(drivername="postgresql+psycopg"), connect_args={"connect_timeout": 2})
        with eng.connect() as c:
            c.execute(sa.text("SELECT 1"))
        eng.dispose()
        return True
    except Exception:
        return False


class DatabaseFactory:
    """Makes databases for one backend and removes them all at the end."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        self.tmp = tmp
        self.created: list[str] = []

    def new_url(self, label: str = "db") -> str:
        """A URL of a fresh, empty database."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp / f'{label}-{uuid.uuid4().hex[:8]}.sqlite3'}"
        name = f"duban_test_{label.replace('-', '_')}_{uuid.uuid4().hex[:10]}"
        admin = make_url(postgres_admin_url()).set(drivername="postgresql+psycopg")
        eng = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        eng.dispose()
        self.created.append(name)
        return admin.set(database=name).render_as_string(hide_password=False)

    def cleanup(self) -> None:
        """Drop every database this factory made."""
        if self.backend != "postgres" or not self.created:
            return
        eng = sa.create_engine(make_url(postgres_admin_url()).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            for name in self.created:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()
        self.created.clear()
