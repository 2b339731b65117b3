"""The local directory copy."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from duban_shared.events import utcnow
from report_svc.base import ReportSvcModel


class Unit(ReportSvcModel, table=True):
    """An org unit as task-svc last published it."""

    __tablename__ = "units"
    id: str = Field(primary_key=True, max_length=36)
    code: str = Field(max_length=64, index=True)
    name: str
    kind: str = Field(max_length=16, index=True)
    parent_id: str | None = Field(default=None, max_length=36, index=True)
    school_type: str | None = Field(default=None, max_length=16)
    active: bool = True
    enrolment: int | None = None  # 在校生数, the weight of rate indicators
    board_json: str | None = None  # '"code":…,"name":…' of the board lines (0004_board)
    updated_at: datetime = Field(default_factory=utcnow)
