"""Consumed events: break a published plan down into tasks; follow its revisions."""

from __future__ import annotations

import logging

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.app import ServiceContext
from duban_shared.events import Envelope
from duban_shared.events.catalogue import PlanPublished, PlanRevised
from duban_shared.messaging import Handler
from task_svc.tasks.breakdown import PlanRef, load_org, reconcile_item, task_id_for

__all__ = ["handlers", "task_id_for"]
log = logging.getLogger(__name__)


def handlers(ctx: ServiceContext) -> dict[str, Handler]:
    """Handlers of task-svc's plan consumer."""

    async def on_plan_published(session: AsyncSession, _env: Envelope, payload: BaseModel) -> None:
        assert isinstance(payload, PlanPublished)
        org = await load_org(session)
        if org is None:
            log.warning("plan %s published but the directory has no city bureau; no tasks made", payload.plan_id)
            return
        ref = PlanRef(payload.plan_id, payload.version, payload.published_by, payload.default_deadline)
        n = 0
        for item in payload.items:
            n += await reconcile_item(session=session, outbox=ctx.outbox, org=org, ref=ref, item_id=item.id, item=item)
        log.info("plan %s v%d broken down into %d tasks", payload.plan_id, payload.version, n)

    async def on_plan_revised(session: AsyncSession, _env: Envelope, payload: BaseModel) -> None:
        assert isinstance(payload, PlanRevised)
        org = await load_org(session)
        if org is None:
            log.warning("plan %s revised but the directory has no city bureau; tasks left as they are", payload.plan_id)
            return
        ref = PlanRef(payload.plan_id, payload.version, payload.published_by, payload.default_deadline)
        n = 0
        for change in payload.changes:
            item = None if change.change == "removed" else change.item
            n += await reconcile_item(session=session, outbox=ctx.outbox, org=org, ref=ref, item_id=change.item_id, item=item)
        log.info("plan %s v%d revised: %d item changes, %d tasks changed", payload.plan_id, payload.version, len(payload.changes), n)

    return {PlanPublished.TYPE: on_plan_published, PlanRevised.TYPE: on_plan_revised}
