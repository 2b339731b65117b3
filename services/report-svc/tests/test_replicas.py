"""Two report-svc replicas on one PostgreSQL database recompute the same plan at once: neither fails."""

from __future__ import annotations

import asyncio

import pytest

from duban_shared.db import Database
from report_svc.stats import service as stats


class _OwnLock(dict):  # type: ignore[type-arg]
    """Each call gets a lock of its own, as in two separate processes."""

    def __getitem__(self, key: str) -> asyncio.Lock:
        return asyncio.Lock()


async def test_concurrent_recomputes_of_one_plan_both_succeed(backend, scenario, report, monkeypatch) -> None:
    if backend != "postgres":
        pytest.skip("replicas sharing one database are a PostgreSQL deployment")
    monkeypatch.setattr(stats, "_locks", _OwnLock())
    url = report.app.state.settings.database_url
    replicas = [Database(url), Database(url)]
    before = (await report.get(f"/api/reports/plans/{scenario.plan_id}/summary")).json()
    try:
        for _ in range(8):
            results = await asyncio.gather(*(stats.recompute(db, scenario.plan_id) for db in replicas), return_exceptions=True)
            assert not [r for r in results if isinstance(r, BaseException)], results
    finally:
        for db in replicas:
            await db.dispose()
    after = (await report.get(f"/api/reports/plans/{scenario.plan_id}/summary")).json()
    assert after["totals"] == before["totals"]
