"""Migration 0002_security on a database that ran the old code: accounts keep working, unit accounts get person roles."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from duban_shared.db import ensure_sqlite_dir, sync_url

SERVICE_DIR = Path(__file__).resolve().parents[1]


def _upgrade(url: str, to: str) -> None:
    ensure_sqlite_dir(url)
    cfg = Config(str(SERVICE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(SERVICE_DIR / "migrations"))
    cfg.attributes["duban_url"] = sync_url(url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, to)


def test_legacy_accounts_are_upgraded(db_factory) -> None:
    url = db_factory.new_url("task")
    _upgrade(url, "0001")
    eng = sa.create_engine(sync_url(url))
    try:
        with eng.begin() as c:
            c.execute(sa.text("INSERT INTO accounts (username, password_hash, unit_id, roles, display_name, active) VALUES "
                              "('admin', 'h', 'u0', 'admin plan_admin city', '系统管理员', true), "
                              "('haishu', 'h', 'u1', 'district', '海曙区教育局', true)"))
        _upgrade(url, "head")
        with eng.connect() as c:
            rows = dict(c.execute(sa.text("SELECT username, roles FROM accounts")).all())
            versions = set(c.execute(sa.text("SELECT token_version FROM accounts")).scalars())
    finally:
        eng.dispose()
    assert rows == {"admin": "admin plan_admin city", "haishu": "district operator reviewer leader unit_admin"}
    assert versions == {0}
