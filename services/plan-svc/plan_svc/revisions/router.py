"""/api/plans/{id}/revision-preview: read-only, for the city's plan administrators."""

from fastapi import APIRouter

from duban_shared.app import SessionDep
from duban_shared.auth import CurrentUser
from plan_svc.plans.service import require_editor
from plan_svc.revisions import service
from plan_svc.revisions.schemas import RevisionPreview

router = APIRouter(prefix="/api/plans", tags=["plans"])


@router.get("/{plan_id}/revision-preview", response_model=RevisionPreview)
async def revision_preview(plan_id: str, session: SessionDep, user: CurrentUser) -> RevisionPreview:
    """The draft against the last published version: changed items, the units each change reaches, their notices."""
    require_editor(user)
    return RevisionPreview.model_validate(await service.preview(session=session, plan_id=plan_id))
