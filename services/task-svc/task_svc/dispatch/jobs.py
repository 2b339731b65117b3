"""Breakdown jobs: a plan version is recorded by the consumer and written here in resumable chunks.

A 90,000-task plan is never one transaction. The plan handler records a job (with the inbox
row); this worker takes the oldest pending job and writes its next items in one transaction
that also advances `next_item`. A chunk starts with a compare-and-set on `next_item`, so two
instances never write the same chunk (on PostgreSQL the second waits on the row lock and then
finds the job moved on), and a SIGKILL loses at most an uncommitted chunk, which is redone with
the same deterministic task ids and event ids. After the last item, `plan.dispatched` follows.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import Counter

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from duban_shared.db import Database
from duban_shared.events import utcnow
from duban_shared.events.catalogue import (
    PlanDispatched,
    PlanItemSnapshot,
    PlanPublished,
    PlanRevised,
    UnitTaskCount,
)
from duban_shared.logging import causation_id, correlation_id
from duban_shared.messaging import Outbox
from duban_shared.uow import UnitOfWork
from task_svc.dispatch.models import BreakdownJob
from task_svc.tasks.breakdown import Org, PlanRef, load_org, org_signature
from task_svc.tasks.bulk import Written, dialect_of, event_id, insert_ignore
from task_svc.tasks.reconcile import reconcile_item

log = logging.getLogger(__name__)
JOBS = BreakdownJob.__table__  # type: ignore[attr-defined]
JOB_NS = uuid.UUID("a3d4b1f0-6c2e-4e8a-9b7d-2f5c8e1a0d44")
MAX_WARNINGS = 200
MAX_ATTEMPTS = 3


def job_id(plan_id: str, version: int, kind: str) -> str:
    """One job per plan version and kind, however often the plan event is delivered."""
    return str(uuid.uuid5(JOB_NS, f"{plan_id}/{version}/{kind}"))


async def record_job(*, uow: UnitOfWork, event: PlanPublished | PlanRevised) -> str:
    """Record the breakdown of a plan version; the worker writes it after this commits."""
    kind = "published" if isinstance(event, PlanPublished) else "revised"
    total = len(event.items) if isinstance(event, PlanPublished) else len(event.changes)
    now = utcnow()
    jid = job_id(event.plan_id, event.version, kind)
    env = uow.envelope
    row = dict(id=jid, plan_id=event.plan_id, plan_version=event.version, kind=kind, payload=event.model_dump_json(),
               correlation_id=(env.correlation_id or env.id) if env else None, causation_id=env.id if env else None, status="pending", next_item=0, total_items=total,
               batches=0, tasks=0, counts="{}", warnings="[]", created_at=now, updated_at=now, finished_at=None)
    await uow.session.execute(insert_ignore(await dialect_of(uow), JOBS), [row])
    return jid


def _work_list(job: sa.Row) -> tuple[PlanRef, list[tuple[str, PlanItemSnapshot | None]], str, str]:
    if job.kind == "published":
        ev: PlanPublished | PlanRevised = PlanPublished.model_validate_json(job.payload)
        work = [(i.id, i) for i in ev.items]  # type: ignore[union-attr]
    else:
        ev = PlanRevised.model_validate_json(job.payload)
        work = [(c.item_id, None if c.change == "removed" else c.item) for c in ev.changes]
    return PlanRef(ev.plan_id, ev.version, ev.published_by, ev.default_deadline), work, ev.title, job.kind


class BreakdownWorker:
    """Drains pending breakdown jobs chunk by chunk; any number of instances may run it."""

    def __init__(self, db: Database, outbox: Outbox, *, chunk_tasks: int = 1000, pause: float = 0.0) -> None:
        self.db = db
        self.outbox = outbox
        self.chunk_tasks = chunk_tasks
        self.pause = pause
        self.wake = asyncio.Event()
        self._org: tuple[tuple[object, ...], Org | None] | None = None
        self._failures: dict[tuple[str, int], int] = {}

    async def run(self) -> None:
        """Loop until cancelled."""
        while True:
            try:
                worked = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("breakdown chunk failed; retrying")
                await asyncio.sleep(1.0)
                continue
            if worked:
                if self.pause:
                    await asyncio.sleep(self.pause)  # let API writers have the database between chunks
                continue
            self.wake.clear()
            try:
                async with asyncio.timeout(1.0):
                    await self.wake.wait()
            except TimeoutError:
                pass

    async def step(self) -> bool:
        """Write the next chunk of the oldest pending job; False when there is none."""
        async with self.db.sessionmaker() as session:
            q = sa.select(JOBS).where(JOBS.c.status == "pending").order_by(JOBS.c.created_at, JOBS.c.id).limit(1)
            job = (await session.execute(q)).first()
            if job is None:
                return False
            await session.rollback()  # end the read; the compare-and-set below starts the write
            claim = sa.update(JOBS).where(JOBS.c.id == job.id, JOBS.c.next_item == job.next_item, JOBS.c.status == "pending")
            if not (await session.execute(claim.values(updated_at=utcnow()))).rowcount:
                await session.rollback()
                return True  # another instance wrote this chunk
            tokens = correlation_id.set(job.correlation_id), causation_id.set(job.causation_id)
            key = (job.id, job.next_item)
            try:
                # After a failure, one item per chunk, so the failing item is found and no good one is held back.
                await self._chunk(UnitOfWork(session, self.outbox), job, one_item=key in self._failures)
                await session.commit()
                self._failures.pop(key, None)
            except Exception as exc:
                await session.rollback()
                self._failures[key] = self._failures.get(key, 0) + 1
                if self._failures[key] < MAX_ATTEMPTS:
                    raise
                await self._skip(session, job, exc)
            finally:
                correlation_id.reset(tokens[0])
                causation_id.reset(tokens[1])
        return True

    async def _skip(self, session: AsyncSession, job: sa.Row, exc: Exception) -> None:
        """An item that keeps failing on its own is passed over with a warning, so the plan's other items go out."""
        _, work, _, _ = _work_list(job)
        item_id, item = work[job.next_item]
        warning = f"条目「{item.title[:30] if item else item_id}」分解失败（{type(exc).__name__}），已跳过，请联系管理员"
        log.error("plan %s v%d: item %s failed %d times, skipped: %r", job.plan_id, job.plan_version, item_id, MAX_ATTEMPTS, exc)
        warnings = json.dumps((json.loads(job.warnings) + [warning])[:MAX_WARNINGS], ensure_ascii=False)
        q = sa.update(JOBS).where(JOBS.c.id == job.id, JOBS.c.next_item == job.next_item)
        await session.execute(q.values(next_item=job.next_item + 1, warnings=warnings, updated_at=utcnow()))
        await session.commit()
        self._failures.pop((job.id, job.next_item), None)

    async def _chunk(self, uow: UnitOfWork, job: sa.Row, *, one_item: bool = False) -> None:
        ref, work, title, kind = _work_list(job)
        sig = await org_signature(uow.session)
        if self._org is None or self._org[0] != sig:  # re-read the directory only when it changed
            self._org = (sig, await load_org(uow.session))
        org = self._org[1]
        written, warnings = Written(), []
        i = job.next_item
        if org is None:
            warnings.append("名录中没有市教育局，未生成任务")
            log.warning("plan %s v%d: the directory has no city bureau; no tasks made", ref.plan_id, ref.version)
            i = len(work)
        while i < len(work) and written.tasks + written.withdrawn + written.updated < self.chunk_tasks and not (one_item and i > job.next_item):
            item_id, item = work[i]
            outcome = await reconcile_item(uow=uow, org=org, ref=ref, item_id=item_id, item=item,  # type: ignore[arg-type]
                                           reason="published" if kind == "published" else "revised")
            written.add(outcome.written)
            for w in outcome.warnings:
                log.warning("plan %s v%d: %s", ref.plan_id, ref.version, w)
            warnings += outcome.warnings
            i += 1
        counts = Counter(json.loads(job.counts))
        counts.update(written.new)
        all_warnings = (json.loads(job.warnings) + warnings)[:MAX_WARNINGS]
        done = i >= len(work)
        values = dict(next_item=i, batches=job.batches + written.batches, tasks=job.tasks + written.tasks, counts=json.dumps(counts),
                      warnings=json.dumps(all_warnings, ensure_ascii=False), updated_at=utcnow())
        if done:
            values.update(status="done", finished_at=utcnow())
            await uow.emit(PlanDispatched(
                plan_id=ref.plan_id, plan_version=ref.version, title=title, actor=ref.actor, at=utcnow(), batches=values["batches"],
                tasks=values["tasks"], units=[UnitTaskCount(unit_id=u, count=n) for u, n in sorted(counts.items())], warnings=all_warnings,
            ), event_id=event_id("dispatched", ref.plan_id, ref.version, kind))
            log.info("plan %s v%d dispatched: %d new tasks in %d batches, %d warnings", ref.plan_id, ref.version,
                     values["tasks"], values["batches"], len(all_warnings))
        await uow.session.execute(sa.update(JOBS).where(JOBS.c.id == job.id).values(**values))


async def pending_jobs(*, uow: UnitOfWork, plan_id: str | None = None) -> int:
    """How many breakdown jobs are not finished (for readiness checks and tests)."""
    q = sa.select(sa.func.count()).select_from(JOBS).where(JOBS.c.status == "pending")
    if plan_id:
        q = q.where(JOBS.c.plan_id == plan_id)
    return int((await uow.session.execute(q)).scalar_one())
