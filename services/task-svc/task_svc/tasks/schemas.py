"""Task API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

Warning = Literal["green", "yellow", "red"]
Status = Literal["assigned", "acknowledged", "in_progress", "submitted", "completed", "returned", "declined", "withdrawn", "reassigned"]
Text = Field(default="", max_length=2000)
Reason = Field(min_length=1, max_length=2000)


class TaskPublic(BaseModel):
    """A task in lists."""

    id: str
    plan_id: str
    plan_version: int
    item_id: str | None
    parent_id: str | None
    root_id: str | None = None
    level: str
    unit_id: str
    unit_name: str | None = None
    issuer_unit_id: str | None
    title: str
    status: str
    percent: int
    due_date: date | None
    warning: Warning
    origin: str = "published"
    reassigned_to: str | None = None


class TimelineEntry(BaseModel):
    """One step of a task's history: who (person and unit), when, from, to, why, attachments."""

    action: str
    actor: str | None
    actor_name: str | None = None
    actor_unit_id: str | None = None
    from_status: str | None
    to_status: str | None
    note: str
    reason: str | None = None
    attachments: list[str] = []
    data: dict[str, Any] | None = None
    at: datetime


class ReportPublic(BaseModel):
    """One progress report."""

    id: str
    percent: int
    note: str
    indicator_values: list[dict[str, Any]]
    evidence_ids: list[str]
    actor: str | None
    actor_name: str | None
    actor_unit_id: str | None
    at: datetime


class ExtensionPublic(BaseModel):
    """An extension request."""

    id: str
    requested_due: date
    previous_due: date | None
    reason: str
    status: str
    requested_by: str | None
    created_at: datetime


class TaskDetail(TaskPublic):
    """A task with its body, latest report, open extension request, children's roll-up and timeline."""

    body: str
    indicator_values: list[dict[str, Any]] = []
    latest_report: ReportPublic | None = None
    pending_extension: ExtensionPublic | None = None
    return_reason: str | None = None
    rollup: dict[str, Any] | None = None
    timeline: list[TimelineEntry]


class TaskPage(BaseModel):
    """A page of tasks."""

    items: list[TaskPublic]
    total: int


class IndicatorValue(BaseModel):
    """A reported value; a rate carries numerator and denominator (value then defaults to their percentage)."""

    indicator_id: str = Field(min_length=1, max_length=36)
    value: float | None = Field(default=None, allow_inf_nan=False)
    numerator: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    denominator: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _complete(self) -> IndicatorValue:
        if (self.numerator is None) != (self.denominator is None):
            raise ValueError("比率类指标须同时填写分子和分母")
        if self.value is None:
            if self.numerator is None or self.denominator is None:
                raise ValueError("请填写指标值")
            self.value = round(100.0 * self.numerator / self.denominator, 4)
        return self


class ProgressRequest(BaseModel):
    """填报."""

    percent: int = Field(ge=0, le=100)
    note: str = Text
    indicator_values: list[IndicatorValue] = Field(default=[], max_length=100)
    evidence_ids: list[str] = Field(default=[], max_length=50)

    @model_validator(mode="after")
    def _unique(self) -> ProgressRequest:
        ids = [v.indicator_id for v in self.indicator_values]
        if len(set(ids)) != len(ids):
            raise ValueError("同一指标只能填报一个值")
        return self


class SubmitRequest(BaseModel):
    """提交."""

    summary: str = Text


class NoteRequest(BaseModel):
    """验收通过 (optional note)."""

    note: str = Text


class ReasonRequest(BaseModel):
    """退回 / 拒收 / 撤回: a reason is required."""

    reason: str = Reason


class ReassignRequest(BaseModel):
    """改派."""

    unit_id: str = Field(min_length=1, max_length=36)
    reason: str = Reason


class ExtensionRequestBody(BaseModel):
    """延期申请."""

    due_date: date
    reason: str = Reason


class ExtensionDecision(BaseModel):
    """延期审批."""

    approve: bool
    note: str = Text


class RemindRequest(BaseModel):
    """催办."""

    message: str = Field(default="", max_length=1000)


class BulkRemindRequest(BaseModel):
    """批量催办: under a parent task or across a plan."""

    plan_id: str | None = Field(default=None, max_length=36)
    parent_id: str | None = Field(default=None, max_length=36)
    filter: Literal["unacknowledged", "overdue"]
    message: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _scope(self) -> BulkRemindRequest:
        if not (self.plan_id or self.parent_id):
            raise ValueError("请指定 plan_id 或 parent_id")
        return self


class BulkRemindResult(BaseModel):
    """How many were reminded, skipped at the daily cap, or not the caller's to remind."""

    reminded: int
    skipped: int
    not_allowed: int
