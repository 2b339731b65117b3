"""POST /api/reports/plans/{id}/snapshots: take a snapshot (情况通报) now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from duban_shared.app import UowDep
from duban_shared.auth import CurrentUser
from duban_shared.errors import forbidden
from report_svc.snapshots import service

router = APIRouter(prefix="/api/reports", tags=["reports"])


class SnapshotRequest(BaseModel):
    """Optional label of a manual snapshot."""

    label: str = Field(default="", max_length=200)


@router.post("/plans/{plan_id}/snapshots", status_code=201)
async def take_snapshot(plan_id: Annotated[str, Path(min_length=1, max_length=36)], uow: UowDep, user: CurrentUser,
                        body: SnapshotRequest | None = None) -> dict[str, object]:
    """Freeze the plan's figures now (city staff only)."""
    if not (user.is_admin or user.has("city") or user.has("plan_admin")):
        raise forbidden("只有市教育局可以发布情况通报快照")
    label = (body.label if body else "") or "情况通报"
    return await service.take(uow=uow, plan_id=plan_id, kind="manual", label=label, taken_by=user.username)
