"""The delivery worker: claims due deliveries, sends each on its own task, records the outcome.

Every replica runs one. A delivery is claimed with a lease (a conditional UPDATE, so two replicas
never send the same one at once); a replica that dies mid-send leaves the lease to expire and the
delivery is sent again once, with the same idempotency key / Message-ID. Each channel has its own
concurrency limit and every send its own timeout, so a hanging channel only holds its own slots;
the consumer never sends, it only writes rows. Failures back off exponentially (on the controllable
clock) up to `max_attempts`, then stay `failed` with the reason; an endpoint that keeps failing trips
its circuit breaker and its deliveries wait for the cooldown without spending attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter as Tally
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel import col, select

from duban_shared.clock import clock
from duban_shared.db import Database
from notify_svc.channels.base import ChannelAdapter, Outgoing, SendError, Target
from notify_svc.channels.models import ChannelConfig
from notify_svc.config import NotifySettings
from notify_svc.delivery.breaker import Breakers
from notify_svc.delivery.metrics import DeliveryMetrics
from notify_svc.delivery.models import Delivery
from notify_svc.delivery.service import STAGED
from notify_svc.notifications.models import Notification

log = logging.getLogger(__name__)


def console_link(base: str, n: Notification) -> str:
    """Where the console shows what the notice is about."""
    base = base.rstrip("/")
    if n.task_id:
        return f"{base}/tasks/{n.task_id}"
    if n.plan_id:
        return f"{base}/tasks?plan_id={n.plan_id}"
    return f"{base}/notifications"


class DeliveryWorker:
    """Sends pending deliveries through the channel adapters."""

    def __init__(self, *, db: Database, settings: NotifySettings, adapters: dict[str, ChannelAdapter], metrics: DeliveryMetrics) -> None:
        self.db = db
        self.s = settings
        self.adapters = adapters
        self.metrics = metrics
        self.breakers = Breakers(settings.breaker_threshold, timedelta(seconds=settings.breaker_cooldown_seconds))
        self.wake = asyncio.Event()
        self.inflight: dict[str, asyncio.Task[None]] = {}
        self.busy: Tally[str] = Tally()

    def install(self) -> None:
        """Wake up when a transaction that staged deliveries commits."""
        session_class: type[Session] = self.db.sessionmaker.kw["sync_session_class"]
        event.listen(session_class, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(STAGED, False):
            self.wake.set()

    async def run(self) -> None:
        """Claim and dispatch until cancelled."""
        try:
            while True:
                self.wake.clear()
                try:
                    await self.tick()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database may be away; try again next round
                    log.warning("delivery worker: %s (%s)", exc, type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.s.worker_poll_seconds)
        finally:
            for t in list(self.inflight.values()):
                t.cancel()
            for a in self.adapters.values():
                close = getattr(a, "aclose", None)
                if close is not None:
                    with contextlib.suppress(Exception):
                        await close()

    async def tick(self) -> int:
        """Claim what is due (within each channel's free slots) and start sending it; returns how many."""
        now = clock.now()
        async with self.db.sessionmaker() as session:
            due = select(Delivery.id, Delivery.channel).where(
                Delivery.status == "pending", col(Delivery.next_attempt_at) <= now,
                sa.or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now),
            ).order_by(col(Delivery.next_attempt_at)).limit(200)
            rows = (await session.exec(due)).all()
            started = 0
            for did, channel in rows:
                if did in self.inflight or self.busy[channel] >= self.s.channel_concurrency:
                    continue
                claim = sa.update(Delivery).where(
                    col(Delivery.id) == did, Delivery.status == "pending",
                    sa.or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now),
                ).values(lease_until=now + timedelta(seconds=self.s.lease_seconds))
                if (await session.exec(claim)).rowcount != 1:  # type: ignore[call-overload]
                    continue  # another replica took it
                await session.commit()
                self.busy[channel] += 1
                self.inflight[did] = asyncio.create_task(self._deliver(did, channel), name=f"deliver-{did}")
                started += 1
            await self.refresh_pending(session)
        return started

    async def refresh_pending(self, session: Any) -> None:
        """Set the pending gauge per channel."""
        q = select(Delivery.channel, sa.func.count()).where(Delivery.status == "pending").group_by(Delivery.channel)
        counts = dict((await session.exec(q)).all())
        for ch in self.adapters:
            self.metrics.pending.labels(ch).set(counts.get(ch, 0))

    async def _deliver(self, did: str, channel: str) -> None:
        try:
            await self._send_one(did)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery %s crashed; its lease will expire and it will be tried again", did)
        finally:
            self.busy[channel] -= 1
            self.inflight.pop(did, None)
            self.wake.set()

    async def _send_one(self, did: str) -> None:
        async with self.db.sessionmaker() as session:
            d = await session.get(Delivery, did)
            n = await session.get(Notification, d.notification_id) if d else None
            cfg = await session.get(ChannelConfig, (d.unit_id, d.channel)) if d else None
        if d is None or n is None or d.status != "pending":
            return
        adapter = self.adapters.get(d.channel)
        if adapter is None:
            await self._record(d, error=SendError(f"未知渠道 {d.channel}", retryable=False))
            return
        if d.channel != "email" and (cfg is None or not cfg.enabled):
            await self._record(d, error=SendError("该渠道已停用", retryable=False))
            return
        target = Target(address=d.target) if d.channel == "email" else Target(url=cfg.target or "", secret=cfg.secret)  # type: ignore[union-attr]
        breaker = self.breakers.get(adapter.breaker_key(target))
        wait_until = breaker.allow()
        if wait_until is not None:
            await self._record(d, held=wait_until, reason="熔断中，稍后重试")
            return
        msg = Outgoing(delivery_id=d.id, notification_id=n.id, kind=n.kind, title=n.title, body=n.body,
                       link=console_link(self.s.console_url, n), urgent=d.urgent, created_at=n.created_at)
        try:
            await asyncio.wait_for(adapter.send(msg, target), self.s.send_timeout_seconds)
        except TimeoutError:
            breaker.failure()
            await self._record(d, error=SendError(f"发送超时（{self.s.send_timeout_seconds:g} 秒）"))
        except SendError as exc:
            if exc.retryable:
                breaker.failure()
            await self._record(d, error=exc)
        else:
            breaker.success()
            await self._record(d)
        self.metrics.breaker_open.labels(d.channel).set(sum(1 for k, b in self.breakers.by_key.items() if b.open and k.startswith(d.channel)))

    async def _record(self, d: Delivery, *, error: SendError | None = None, held: Any = None, reason: str = "") -> None:
        """Write the outcome and free the lease."""
        now = clock.now()
        values: dict[str, Any] = {"lease_until": None}
        if held is not None:
            values.update(next_attempt_at=held, last_error=reason)
        elif error is None:
            values.update(status="sent", sent_at=now, attempts=d.attempts + 1, last_error=None)
            self.metrics.sent.labels(d.channel, d.kind).inc()
            self.metrics.latency.labels(d.channel).observe(max((now - (d.held_until or d.created_at)).total_seconds(), 0.0))
        else:
            attempts = d.attempts + 1
            if not error.retryable or attempts >= self.s.max_attempts:
                values.update(status="failed", attempts=attempts, last_error=error.reason[:500])
                self.metrics.failed.labels(d.channel, d.kind).inc()
            else:
                delay = timedelta(seconds=self.s.backoff_seconds * 2 ** (attempts - 1))
                values.update(attempts=attempts, last_error=error.reason[:500], next_attempt_at=now + delay)
                self.metrics.retried.labels(d.channel, d.kind).inc()
            log.warning("delivery %s over %s: %s (attempt %d)", d.id, d.channel, error.reason, attempts)
        async with self.db.sessionmaker() as session:
            await session.exec(sa.update(Delivery).where(col(Delivery.id) == d.id).values(**values))  # type: ignore[call-overload]
            await session.commit()
