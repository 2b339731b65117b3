"""Re-dispatch API shapes."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from task_svc.tasks.schemas import TaskPublic

SchoolType = Literal["kindergarten", "primary", "junior", "senior", "vocational", "special", "university"]


class DispatchRequest(BaseModel):
    """转派: exactly one of school_ids, school_types, all; due_date defaults to the district task's own."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    school_ids: list[str] | None = Field(default=None, min_length=1, max_length=5000)
    school_types: list[SchoolType] | None = Field(default=None, min_length=1)
    everyone: bool = Field(default=False, alias="all")
    due_date: date | None = None

    @model_validator(mode="after")
    def _one_choice(self) -> DispatchRequest:
        chosen = sum([self.school_ids is not None, self.school_types is not None, self.everyone])
        if chosen != 1:
            raise ValueError("请在 school_ids、school_types、all 中选择且只选择一种转派方式")
        return self


class DispatchResult(BaseModel):
    """The school tasks a re-dispatch created (or reopened)."""

    created: int
    items: list[TaskPublic]
