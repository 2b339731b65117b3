"""The services of the stack, their ports, and where each keeps its database."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from duban_shared.settings import default_var_dir


@dataclass(frozen=True)
class ServiceDef:
    """How to run one service."""

    name: str
    module: str
    port: int
    has_db: bool = True

    @property
    def env_prefix(self) -> str:
        """Prefix of per-service overrides, e.g. TASK_SVC_DATABASE_URL."""
        return self.name.upper().replace("-", "_")

    @property
    def service_dir(self) -> Path:
        """The service's folder (alembic.ini lives there)."""
        return Path(__file__).resolve().parents[1] / "services" / self.name


SERVICES = (
    ServiceDef("plan-svc", "plan_svc.main:create_app", 8001),
    ServiceDef("task-svc", "task_svc.main:create_app", 8002),
    ServiceDef("notify-svc", "notify_svc.main:create_app", 8003),
    ServiceDef("report-svc", "report_svc.main:create_app", 8004),
    ServiceDef("gateway", "gateway.main:create_app", 8000, has_db=False),
)
DATA_SERVICES = tuple(s for s in SERVICES if s.has_db)


def port_base() -> int:
    """Port of the gateway; the services follow it (DUBAN_PORT_BASE, default 8000)."""
    return int(os.environ.get("DUBAN_PORT_BASE") or 8000)


def port_of(svc: ServiceDef) -> int:
    """The port a service listens on under `duban up` (its offset from the gateway's port)."""
    return port_base() + svc.port - 8000


def broker_port() -> int:
    """Port of the embedded broker (DUBAN_BROKER_PORT, default 9092)."""
    return int(os.environ.get("DUBAN_BROKER_PORT") or 9092)


def supervisor_port() -> int:
    """Port of the supervisor's own /metrics (DUBAN_SUPERVISOR_PORT, default gateway port + 9)."""
    return int(os.environ.get("DUBAN_SUPERVISOR_PORT") or port_base() + 9)


def status_file() -> Path:
    """Where the supervisor writes what it runs; `duban status` reads it."""
    return var_dir() / "run" / "supervisor.json"


def by_name(name: str) -> ServiceDef:
    """A service by name (plan-svc, task, …)."""
    for s in SERVICES:
        if name in (s.name, s.name.removesuffix("-svc")):
            return s
    raise KeyError(name)


def var_dir() -> Path:
    """The var folder in use."""
    return Path(os.environ.get("DUBAN_VAR_DIR") or default_var_dir())


def database_url(svc: ServiceDef) -> str:
    """A service's database: <SVC>_DATABASE_URL, else one database per service on DATABASE_URL's server, else SQLite."""
    own = os.environ.get(f"{svc.env_prefix}_DATABASE_URL")
    if own:
        return own
    shared = os.environ.get("DATABASE_URL")
    if shared:
        return make_url(shared).set(database=f"duban_{svc.name.replace('-', '_')}").render_as_string(hide_password=False)
    return f"sqlite:///{var_dir() / 'db' / (svc.name + '.sqlite3')}"


def ensure_database(url: str) -> None:
    """Create a PostgreSQL database when it does not exist (SQLite files create themselves)."""
    u = make_url(url)
    if not u.drivername.startswith("postgres"):
        return
    import sqlalchemy as sa

    admin = u.set(drivername="postgresql+psycopg", database="postgres")
    eng = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as c:
            exists = c.execute(sa.text("SELECT 1 FROM pg_database WHERE datname=:n"), {"n": u.database}).first()
            if not exists:
                c.execute(sa.text(f'CREATE DATABASE "{u.database}"'))
    finally:
        eng.dispose()
