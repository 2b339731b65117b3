"""Channel settings API shapes: a list of channels and the no-disturb hours."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

ChannelKind = Literal["in_app", "email", "dingtalk", "wecom", "feishu"]
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class QuietHoursIn(BaseModel):
    """No-disturb hours, Asia/Shanghai; may span midnight (22:00 → 07:00)."""

    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not HHMM.match(v):
            raise ValueError("时间须为 HH:MM 格式，如 22:00")
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursIn:
        if self.start == self.end:
            raise ValueError("免打扰开始与结束时间不能相同")
        return self


class ChannelIn(BaseModel):
    """One channel as the console sends it; `secret` omitted keeps the stored one."""

    kind: ChannelKind
    enabled: bool = False
    # Email address (empty: the directory's address) or the robot's webhook URL.
    target: str | None = Field(default=None, max_length=1000)
    secret: str | None = Field(default=None, max_length=200)


class ChannelsIn(BaseModel):
    """PUT body: the channels to set (others stay as they are) and the no-disturb hours (null: none)."""

    unit_id: str | None = None
    channels: list[ChannelIn] = []
    quiet_hours: QuietHoursIn | None = None


class ChannelOut(BaseModel):
    """One channel as shown back: robot URLs masked, secrets never shown."""

    kind: ChannelKind
    enabled: bool
    target: str | None
    has_secret: bool = False
    # The directory's address used when an enabled email channel names none.
    default_target: str | None = None
    updated_at: datetime | None = None


class ChannelsOut(BaseModel):
    """A unit's channel settings."""

    unit_id: str
    channels: list[ChannelOut]
    quiet_hours: QuietHoursIn | None
