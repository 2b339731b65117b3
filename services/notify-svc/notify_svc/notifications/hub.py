"""Fan-out of committed notifications to the open streams of their unit on this replica.

Handlers stage notifications on their session; only when that session's transaction commits
are they counted and pushed to subscribers, so a rolled-back or duplicate event streams nothing.
Notices committed on other replicas arrive through the live feed (`live.py`) and `publish`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.db import Database
from duban_shared.metrics import ServiceMetrics
from notify_svc.notifications.models import Notification
from notify_svc.notifications.schemas import NotificationPublic

log = logging.getLogger(__name__)
PENDING = "notify_svc.pending_notifications"


def stage(session: AsyncSession, notification: Notification, *, new: bool = True) -> None:
    """Hold a notification (new, or changed by a merge) until the session's transaction commits."""
    session.info.setdefault(PENDING, []).append((notification, new))


@dataclass(eq=False)
class Subscription:
    """One open stream: a bounded queue of notifications for one unit."""

    unit_id: str
    queue: asyncio.Queue[NotificationPublic]
    # Set when the queue overflowed: the stream ends and the client resumes with Last-Event-ID.
    overflowed: bool = False


@dataclass
class NotificationHub:
    """Subscribers per unit, fed after commit; also counts created notifications."""

    metrics: ServiceMetrics
    queue_size: int = 200
    _subs: dict[str, set[Subscription]] = field(default_factory=lambda: defaultdict(set))

    def __post_init__(self) -> None:
        self.created = Counter(
            f"{self.metrics.prefix}_notifications_total", "In-app notifications created", ["kind"], registry=self.metrics.registry
        )

    def install(self, db: Database) -> None:
        """Listen to commits and rollbacks of this service's sessions only."""
        session_class: type[Session] = db.sessionmaker.kw["sync_session_class"]
        event.listen(session_class, "after_commit", self._after_commit)
        event.listen(session_class, "after_soft_rollback", self._after_rollback)

    def _after_commit(self, session: Session) -> None:
        for n, new in session.info.pop(PENDING, ()):
            if new:
                self.created.labels(n.kind).inc()
            self.publish(n.unit_id, NotificationPublic.model_validate(n, from_attributes=True))

    def _after_rollback(self, session: Session, _previous: Any) -> None:
        session.info.pop(PENDING, None)

    def publish(self, unit_id: str, item: NotificationPublic) -> None:
        """Push a committed notification to every open stream of the unit."""
        for sub in list(self._subs.get(unit_id, ())):
            try:
                sub.queue.put_nowait(item)
            except asyncio.QueueFull:
                sub.overflowed = True
                log.warning("notification stream of unit %s fell behind; it will be resumed by the client", unit_id)

    @contextlib.contextmanager
    def subscribe(self, unit_id: str) -> Iterator[Subscription]:
        """Register a stream for the unit while the context is open."""
        sub = Subscription(unit_id, asyncio.Queue(self.queue_size))
        self._subs[unit_id].add(sub)
        try:
            yield sub
        finally:
            subs = self._subs.get(unit_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[unit_id]

    def subscribers(self, unit_id: str) -> int:
        """How many streams of the unit are open."""
        return len(self._subs.get(unit_id, ()))
