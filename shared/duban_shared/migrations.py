"""Shared Alembic env logic: each service's migrations/env.py calls `run_env(metadata)`."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import MetaData, engine_from_config, pool

from duban_shared.db import install_sqlite_pragmas, is_sqlite, sync_url


def run_env(target_metadata: MetaData) -> None:
    """Run migrations offline (SQL script) or online against `sqlalchemy.url`."""
    config = context.config
    url = config.attributes.get("duban_url") or os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    url = sync_url(url) if url else url
    config.set_main_option("sqlalchemy.url", (url or "").replace("%", "%%"))
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
    if url and is_sqlite(url):
        install_sqlite_pragmas(engine)
    with engine.connect() as connection:
        # render_as_batch lets ALTER-style migrations work on SQLite too.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
