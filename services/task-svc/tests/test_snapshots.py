"""report-svc's rebuild request reaches task-svc as an event: it re-emits the plan's tasks tagged with the request."""

from __future__ import annotations

import uuid

from dispatch_helpers import envelopes, item, published, task_stack

from duban_shared.events import utcnow
from duban_shared.events.catalogue import ReportRebuildRequested
from duban_shared.testing.publisher import publishing
from duban_shared.testing.services import eventually
from duban_shared.testing.signing import dead_letters


async def test_rebuild_request_is_answered_with_tagged_snapshot_parts(make_settings, db_factory, broker, topic_prefix) -> None:
    """A reports.rebuild_requested signed by report-svc → tasks.snapshotted of that plan carrying its request_id;
    the same request in another service's name is dead-lettered and answered by nothing."""
    async with task_stack(make_settings, db_factory, broker, topic_prefix) as s:
        plan = published([item(1, "扩大优质学前教育资源", districts=True)])
        await s.pub.publish([plan])
        await s.dispatched(plan.plan_id)
        other = published([item(1, "推进义务教育优质均衡")])
        await s.pub.publish([other])
        await s.dispatched(other.plan_id)

        def request(request_id: str) -> ReportRebuildRequested:
            return ReportRebuildRequested(request_id=request_id, plan_id=plan.plan_id, requested_by="admin", at=utcnow())

        async with publishing(db_factory.new_url("forger"), broker.bootstrap, topic_prefix, name="plan-svc") as forger:
            await forger.publish([request("forged")])
            ((reason, _),) = await dead_letters(broker.bootstrap, f"{topic_prefix}.dlq", 1)
        assert reason == "forged_source"

        genuine = request(str(uuid.uuid4()))
        await s.pub.publish([genuine])  # the test publisher signs each event as its topic's owner: report-svc here

        async def answered() -> list[dict] | None:
            found = [e for e in envelopes(s.url, "tasks.snapshotted") if e["payload"].get("request_id") == genuine.request_id]
            return found or None

        (part,) = await eventually(answered, timeout=60, what="tasks.snapshotted answering the request")
        p = part["payload"]
        assert (p["plan_id"], p["part"], p["parts"], len(p["tasks"])) == (plan.plan_id, 1, 1, 13)
        assert {t["plan_id"] for t in p["tasks"]} == {plan.plan_id} and part["key"] == p["snapshot_id"]
        assert {e["payload"].get("request_id") for e in envelopes(s.url, "tasks.snapshotted")} == {genuine.request_id}
