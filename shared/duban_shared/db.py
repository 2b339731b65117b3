"""Database engines and sessions (SQLite by default, PostgreSQL via DATABASE_URL) and migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlmodel import Session as SQLModelSession
from sqlmodel.ext.asyncio.session import AsyncSession


def async_url(url: str) -> str:
    """Map a plain URL to its async driver: sqlite→aiosqlite, postgresql→psycopg."""
    u = make_url(url)
    if u.drivername in ("sqlite", "sqlite+pysqlite"):
        u = u.set(drivername="sqlite+aiosqlite")
    elif u.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+asyncpg"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """Map a URL to its sync driver, for Alembic and CLI tools."""
    u = make_url(url)
    if u.drivername.startswith("sqlite"):
        u = u.set(drivername="sqlite")
    elif u.drivername.startswith("postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    """True for SQLite URLs."""
    return make_url(url).drivername.startswith("sqlite")


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file so a fresh checkout just works."""
    u = make_url(url)
    if u.drivername.startswith("sqlite") and u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the relay read while a request writes; busy_timeout rides over write locks. A consumer
    # applying a burst of batches back to back can hold the one write lock for many seconds on a loaded
    # machine (SQLite's waiters are not queued fairly), hence 30 s rather than a few.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def install_sqlite_pragmas(engine: Engine) -> None:
    """Apply the SQLite pragmas on every new connection of a sync engine."""
    event.listen(engine, "connect", _sqlite_pragmas)


class Database:
    """An async engine and its session factory for one service."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        ensure_sqlite_dir(url)
        self.url = url
        kwargs: dict[str, object] = {"echo": echo}
        if not is_sqlite(url):
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(async_url(url), **kwargs)
        if is_sqlite(url):
            install_sqlite_pragmas(self.engine.sync_engine)
        self.after_commit: list[Callable[[], None]] = []
        hooks = self.after_commit

        class _Session(SQLModelSession):
            """A session class of this database only, so commit hooks stay per service (SQLModel's, for `exec`)."""

        def _fire(_session: Session) -> None:
            for hook in hooks:
                hook()

        event.listen(_Session, "after_commit", _fire)
        self.sessionmaker = async_sessionmaker(
            self.engine, class_=AsyncSession, sync_session_class=_Session, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        """True when backed by SQLite."""
        return is_sqlite(self.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that is closed on exit; the caller commits."""
        async with self.sessionmaker() as s:
            yield s

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def run_migrations(service_dir: Path, url: str) -> None:
    """Upgrade a service's database to head with its own alembic.ini (sync; call in a thread)."""
    from alembic import command
    from alembic.config import Config

    ensure_sqlite_dir(url)
    cfg = Config(str(service_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.attributes["duban_url"] = sync_url(url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
