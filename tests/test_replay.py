"""`duban events replay` re-publishes outbox events from a point in time; consumers dedupe them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from duban_shared.events.catalogue import DIRECTORY_TOPIC, UnitUpserted
from duban_shared.testing.probe import probing
from duban_shared.testing.services import eventually, running
from duban_shared.testing.topics import read_envelopes
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

pytestmark = pytest.mark.slow

DUBAN = Path(sys.executable).parent / "duban"


async def test_replay_republishes_and_consumers_dedupe(make_settings, db_factory, broker, topic_prefix, tmp_path) -> None:
    settings = make_settings(TaskSettings, demo_directory=True)
    topic = f"{topic_prefix}.{DIRECTORY_TOPIC}"
    async with probing(url=db_factory.new_url("probe"), bootstrap=broker.bootstrap, prefix=topic_prefix,
                       topics=[DIRECTORY_TOPIC], types=[UnitUpserted.TYPE]) as probe, running(task_app(settings)):
        async def units() -> int:
            return len(await probe.counts())

        await eventually(lambda: _at_least(units, 1500), timeout=120, what="the demo directory's unit events")
        await asyncio.sleep(1)
        n = await units()
        env = {**os.environ, "DUBAN_VAR_DIR": str(tmp_path / "var"), "TASK_SVC_DATABASE_URL": settings.db_url}
        since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
        out = await asyncio.to_thread(subprocess.run, [str(DUBAN), "events", "replay", "--since", since, "--service", "task-svc",
                                                      "--type", "unit.upserted"], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert f"task-svc: {n} 个事件" in out.stdout
        records = await read_envelopes(broker.bootstrap, topic, count=2 * n, timeout=120, types={UnitUpserted.TYPE})
        assert len(records) == 2 * n and len({r.id for r in records}) == n  # every event went out a second time
        await asyncio.sleep(2)
        counts = await probe.counts()
        assert len(counts) == n and set(counts.values()) == {1}  # and took effect once


async def _at_least(f, n: int) -> bool:  # type: ignore[no-untyped-def]
    return await f() >= n
