"""What each unit configured: its channels (email address, robot webhooks and secrets) and quiet hours."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from duban_shared.events import utcnow
from notify_svc.base import NotifySvcModel


class ChannelConfig(NotifySvcModel, table=True):
    """One outbound channel of one unit; robot URLs and secrets never leave notify-svc."""

    __tablename__ = "channel_configs"
    unit_id: str = Field(primary_key=True, max_length=36)
    channel: str = Field(primary_key=True, max_length=16)  # email | dingtalk | wecom | feishu
    enabled: bool = False
    # An email address (empty: the directory's address of the unit) or a webhook URL.
    target: str | None = Field(default=None, max_length=1000)
    secret: str | None = Field(default=None, max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str | None = Field(default=None, max_length=100)


class QuietHours(NotifySvcModel, table=True):
    """A unit's no-disturb hours (Asia/Shanghai, may span midnight); none by default."""

    __tablename__ = "quiet_hours"
    unit_id: str = Field(primary_key=True, max_length=36)
    start: str = Field(max_length=5)  # "HH:MM"
    end: str = Field(max_length=5)
    updated_at: datetime = Field(default_factory=utcnow)
