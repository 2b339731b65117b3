"""The live feed: every replica announces its committed notices on the broker and reads everyone's.

A notice is staged with a `notice.streamed` event in the same transaction (outbox), so it is
announced only if it commits. Each replica reads the whole feed topic without a shared group
(each its own reader, starting at the end) and pushes what other replicas announced to its
own open streams; its own notices already went out locally at commit.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from duban_shared.events import Envelope, utcnow
from duban_shared.events.catalogue import NOTIFY_TOPIC, NoticeStreamed, StreamedNotice
from duban_shared.messaging import KafkaBus
from duban_shared.messaging.bus import cancel_requested
from duban_shared.messaging.signing import EventVerifier
from duban_shared.metrics import ServiceMetrics
from duban_shared.uow import UnitOfWork
from notify_svc.notifications.hub import NotificationHub
from notify_svc.notifications.models import Notification
from notify_svc.notifications.schemas import NotificationPublic

log = logging.getLogger(__name__)
# A broker that lost its data makes the relay publish again; notices that old are not pushed live.
MAX_AGE = timedelta(minutes=2)
# Notices per feed record: a publication's digests travel in a few records, well under the broker's size limit.
CHUNK = 100


async def announce(uow: UnitOfWork, notices: Sequence[Notification]) -> None:
    """Stage notices for the other replicas' streams, CHUNK per event (published only if the transaction commits)."""
    feed: LiveFeed | None = uow.ctx.extras.get("live_feed") if uow.ctx is not None else None
    if feed is None:
        return
    for lo in range(0, len(notices), CHUNK):
        items = [StreamedNotice(unit_id=n.unit_id, notice=NotificationPublic.model_validate(n, from_attributes=True).model_dump(mode="json"))
                 for n in notices[lo:lo + CHUNK]]
        await uow.emit(NoticeStreamed(origin=feed.replica_id, items=items))


class LiveFeed:
    """Reads the feed topic from its end and publishes other replicas' notices to the local hub."""

    def __init__(self, *, hub: NotificationHub, bus: KafkaBus, metrics: ServiceMetrics, verifier: EventVerifier | None = None) -> None:
        self.hub = hub
        self.bus = bus
        # Only notify-svc's own signed records reach a browser: a forged feed record could carry a phishing link.
        self.verifier = verifier
        self.replica_id = uuid.uuid4().hex
        self.topic = bus.topic(NOTIFY_TOPIC)
        p, r = metrics.prefix, metrics.registry
        self.ready = Gauge(f"{p}_live_feed_ready", "1 once this replica reads the live feed", registry=r)
        self.received = Counter(f"{p}_live_feed_received_total", "Notices of other replicas pushed to local streams", registry=r)

    async def run(self) -> None:
        """Read until cancelled, reconnecting across broker outages."""
        while not cancel_requested():
            consumer: AIOKafkaConsumer | None = None
            try:
                await self.bus.ensure_topics([self.topic])
                # No group: this replica gets every partition, positioned at the end.
                consumer = AIOKafkaConsumer(
                    self.topic, bootstrap_servers=self.bus.bootstrap, group_id=None, enable_auto_commit=False,
                    auto_offset_reset="latest", client_id=f"{self.bus.client_id}-live", metadata_max_age_ms=5_000,
                )
                await consumer.start()
                while not cancel_requested():
                    batch = await consumer.getmany(timeout_ms=500, max_records=500)
                    self.ready.set(1)  # positions are resolved after the first fetch round
                    for records in batch.values():
                        for rec in records:
                            self._push(rec.value or b"", rec)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live feed: %s (%s); reconnecting", exc, type(exc).__name__)
                await asyncio.sleep(1.0)
            finally:
                self.ready.set(0)
                if consumer is not None:
                    try:
                        await asyncio.wait_for(consumer.stop(), 10)
                    except Exception as exc:  # closing after a broker loss may fail; nothing to keep
                        log.debug("live feed stop: %s", exc)
        raise asyncio.CancelledError

    def _push(self, raw: bytes, rec: ConsumerRecord | None = None) -> None:
        try:
            env = Envelope.from_bytes(raw)
            if env.type != NoticeStreamed.TYPE:
                return
            if self.verifier is not None and rec is not None and (bad := self.verifier.check(rec, env)) is not None:
                log.warning("live feed: record refused (%s: %s)", *bad)
                return
            ev = NoticeStreamed.model_validate(env.payload)
            items = [(i.unit_id, NotificationPublic.model_validate(i.notice)) for i in ev.items]
        except (ValidationError, ValueError, UnicodeDecodeError) as exc:
            log.warning("live feed: unreadable record skipped (%s)", type(exc).__name__)
            return
        if ev.origin == self.replica_id or utcnow() - env.occurred_at > MAX_AGE:
            return
        for unit_id, item in items:
            self.received.inc()
            self.hub.publish(unit_id, item)
