"""/api/plans: create, list, read, edit items, publish."""

from fastapi import APIRouter, Query, status

from duban_shared.app import CtxDep, SessionDep
from duban_shared.auth import CurrentUser
from plan_svc.plans import service
from plan_svc.plans.schemas import ItemOut, ItemPatch, PlanDraftIn, PlanOut, PlanPage, PlanSummary, PublishOut
from plan_svc.plans.visibility import is_editor, published_tree

router = APIRouter(prefix="/api/plans", tags=["plans"])


@router.get("", response_model=PlanPage)
async def list_plans(session: SessionDep, user: CurrentUser, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=1_000_000)) -> PlanPage:
    """Plans, newest first; units that do not edit plans see published plans only."""
    page = await service.list_plans(session=session, published_only=not is_editor(user), limit=limit, offset=offset)
    return PlanPage(items=[PlanSummary.model_validate(p) for p in page["items"]], total=page["total"])


@router.post("", response_model=PlanOut, status_code=status.HTTP_201_CREATED)
async def create_plan(draft: PlanDraftIn, session: SessionDep, user: CurrentUser) -> PlanOut:
    """Create a draft plan from JSON (the shape `duban plan parse` prints)."""
    service.require_editor(user)
    plan = await service.create_from_draft(session=session, draft=draft, actor=user.username)
    await session.commit()
    return PlanOut.model_validate(await service.plan_tree(session=session, plan=plan))


@router.get("/{plan_id}", response_model=PlanOut)
async def get_plan(plan_id: str, session: SessionDep, user: CurrentUser) -> PlanOut:
    """A plan with its sections, items and indicators; non-editors get the last published version."""
    plan = await service.get_plan(session=session, plan_id=plan_id)
    if not is_editor(user):
        return PlanOut.model_validate(await published_tree(session=session, plan=plan))
    return PlanOut.model_validate(await service.plan_tree(session=session, plan=plan))


@router.patch("/{plan_id}/items/{item_id}", response_model=ItemOut)
async def patch_item(plan_id: str, item_id: str, patch: ItemPatch, session: SessionDep, user: CurrentUser) -> ItemOut:
    """Edit one item."""
    service.require_editor(user)
    item = await service.patch_item(session=session, plan_id=plan_id, item_id=item_id, patch=patch)
    await session.commit()
    plan = await service.get_plan(session=session, plan_id=plan_id)
    tree = await service.plan_tree(session=session, plan=plan)
    found = next(i for s in tree["sections"] for i in s["items"] if i["id"] == item.id)
    return ItemOut.model_validate(found)


@router.post("/{plan_id}/publish", response_model=PublishOut, status_code=status.HTTP_202_ACCEPTED)
async def publish(plan_id: str, session: SessionDep, ctx: CtxDep, user: CurrentUser) -> PublishOut:
    """Freeze the next version; tasks are made asynchronously from the event."""
    service.require_editor(user)
    plan = await service.publish(session=session, outbox=ctx.outbox, plan_id=plan_id, actor=user.username)
    await session.commit()
    return PublishOut(id=plan.id, status=plan.status, version=plan.version)
