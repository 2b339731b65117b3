"""Request and response shapes of /api/reports/rebuild."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RebuildState = Literal["requested", "running", "finished"]
STATE_TEXT: dict[str, str] = {"requested": "已请求，等待任务服务", "running": "进行中", "finished": "完成"}


class RebuildRequest(BaseModel):
    """One plan, or every plan when absent; unknown fields are a client error, not a rebuild of everything."""

    model_config = ConfigDict(extra="forbid")
    plan_id: str | None = Field(default=None, min_length=1, max_length=36)


class RebuildAccepted(BaseModel):
    """202: the request is recorded and on its way to task-svc."""

    request_id: str
    plan_id: str | None = None
    status: RebuildState = "requested"
    requested_at: datetime


class RebuildStatus(BaseModel):
    """GET /api/reports/rebuild/{request_id}: progress, and what the rebuild changed so far."""

    request_id: str
    plan_id: str | None = None
    requested_by: str | None = None
    requested_at: datetime
    status: RebuildState
    status_text: str
    snapshot_id: str | None = None
    parts_received: int
    parts_expected: int | None = None
    tasks: int
    added: int
    changed: int
    pruned: int
    finished_at: datetime | None = None
