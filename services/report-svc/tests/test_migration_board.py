"""Migration 0004_board on a database of the previous revision: units get their board part, tasks wait for their line."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from duban_shared.db import ensure_sqlite_dir, sync_url

SERVICE_DIR = Path(__file__).resolve().parents[1]


def _migrate(url: str, to: str, *, down: bool = False) -> None:
    ensure_sqlite_dir(url)
    cfg = Config(str(SERVICE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(SERVICE_DIR / "migrations"))
    cfg.attributes["duban_url"] = sync_url(url)
    cfg.attributes["configure_logger"] = False
    (command.downgrade if down else command.upgrade)(cfg, to)


def test_board_columns_and_indexes_on_an_existing_database(db_factory) -> None:
    url = db_factory.new_url("report")
    _migrate(url, "0003_rebuilds")
    eng = sa.create_engine(sync_url(url))
    try:
        with eng.begin() as c:
            c.execute(sa.text("INSERT INTO units (id, code, name, kind, active, updated_at) VALUES "
                              "('u1', 'D01-S1', '海曙区\"第一\"小学', 'school', true, '2026-03-01 08:00:00')"))
            c.execute(sa.text("INSERT INTO tasks (id, plan_id, item_id, level, unit_id, title, status, percent, last_event_at, org_key) VALUES "
                              "('t1', 'p1', 'i1', 'school', 'u1', '任务', 'assigned', 0, '2026-03-01 08:00:00', 'D01 1 D01-S1')"))
        _migrate(url, "head")
        with eng.connect() as c:
            part = c.execute(sa.text("SELECT board_json FROM units WHERE id = 'u1'")).scalar_one()
            line = c.execute(sa.text("SELECT board_line FROM tasks WHERE id = 't1'")).scalar_one()
        indexes = {i["name"]: i["column_names"] for i in sa.inspect(eng).get_indexes("tasks")}
        _migrate(url, "0003_rebuilds", down=True)
        columns = {col["name"] for col in sa.inspect(eng).get_columns("tasks")}
        names = {i["name"] for i in sa.inspect(eng).get_indexes("tasks")}
    finally:
        eng.dispose()
    assert json.loads("{" + part + "}") == {"code": "D01-S1", "name": '海曙区"第一"小学'}
    assert line is None  # rendered at read until the plan's next recompute stores it
    assert indexes["ix_tasks_board_item"][:2] == ["plan_id", "item_id"] and indexes["ix_tasks_board_parent"][:2] == ["plan_id", "parent_id"]
    assert "board_line" not in columns and not names & {"ix_tasks_board_item", "ix_tasks_board_parent"}
