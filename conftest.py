"""Fixtures for every test in the repo: a real embedded broker and real databases.

The database-backed tests run on SQLite and again on PostgreSQL when one answers at
DUBAN_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from duban_shared.testing import TEST_SESSION_TIMEOUT_MS
from duban_shared.testing.broker import EmbeddedBroker
from duban_shared.testing.databases import DatabaseFactory, postgres_available

_forced = os.environ.get("DUBAN_TEST_BACKENDS")
BACKENDS = _forced.split(",") if _forced else ["sqlite"] + (["postgres"] if postgres_available() else [])


def pytest_report_header(config: pytest.Config) -> str:
    """Say which database backends this run covers."""
    return f"duban database backends: {', '.join(BACKENDS)}"


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """One embedded broker for the whole run, on a free port."""
    b = EmbeddedBroker(log_path=tmp_path_factory.mktemp("broker") / "tansu.log").start()
    yield b
    b.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test."""
    return str(request.param)


@pytest.fixture
def db_factory(backend: str, tmp_path: Path) -> Iterator[DatabaseFactory]:
    """Makes fresh databases on the backend; drops them afterwards."""
    f = DatabaseFactory(backend, tmp_path)
    yield f
    f.cleanup()


@pytest.fixture
def topic_prefix() -> str:
    """A prefix of this test's own, so tests sharing the broker never see each other's events."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def make_settings(db_factory: DatabaseFactory, tmp_path: Path, broker: EmbeddedBroker, topic_prefix: str) -> Callable[..., Any]:
    """Build a service's settings wired to this test's broker, databases and var dir."""
    var = tmp_path / "var"

    def _make(cls: type, **overrides: Any) -> Any:
        name = cls.model_fields["service_name"].default
        values: dict[str, Any] = dict(
            var_dir=var, database_url=db_factory.new_url(name), kafka_bootstrap_servers=broker.bootstrap,
            topic_prefix=topic_prefix, relay_interval_seconds=0.1, epoch_check_seconds=0.5,
            retry_backoff_seconds=0.05, log_json=False, demo_mode=True, token_check_url="",
            confirm_interval_seconds=1.0, business_gauge_refresh_seconds=2.0, kafka_session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
        )
        values.update(overrides)
        return cls(**values)

    return _make


@pytest.fixture(autouse=True)
def _publisher_keys(tmp_path: Path) -> Iterator[None]:
    """Test publishers sign as each topic's owner with the keys the services of this test use (var/keys)."""
    from duban_shared.testing import publisher

    publisher.DEFAULT_KEYS_DIR = tmp_path / "var" / "keys"
    yield
    publisher.DEFAULT_KEYS_DIR = None
