"""The durable deadline scheduler: a loop in every task-svc instance that moves stale warning levels.

Its state is the `warning` column itself, so a restart simply resumes (the first scan catches up on
whatever changed while nothing ran), and several instances share the scan through row locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from duban_shared.uow import UnitOfWork
from task_svc.deadlines.service import scan

log = logging.getLogger(__name__)
BATCH = 500


class DeadlineScheduler:
    """Runs scan() in batches of its own transactions, every `interval` seconds."""

    def __init__(self, ctx: Any, interval: float) -> None:
        self.ctx = ctx
        self.interval = interval
        self.wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """Bring every task's warning up to date; returns how many changed."""
        total = 0
        while True:
            async with self.ctx.db.sessionmaker() as session:
                uow = UnitOfWork(session, self.ctx.outbox, ctx=self.ctx)
                changed = await scan(uow=uow, limit=BATCH)
                await uow.commit()
            total += changed
            if changed < BATCH:
                return total

    async def run(self) -> None:
        """Scan forever; errors are logged and retried on the next tick."""
        while True:
            try:
                n = await self.run_once()
                if n:
                    log.info("deadline scheduler moved %d warning levels", n)
            except Exception:
                log.exception("deadline scan failed; retrying next tick")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.interval)
            self.wake.clear()

    def start(self) -> None:
        """Start the loop as a background task."""
        self._task = asyncio.create_task(self.run(), name="task-svc-deadlines")

    async def stop(self) -> None:
        """Cancel the loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
