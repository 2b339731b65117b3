"""The envelope every event travels in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field


def utcnow() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(UTC)


class Envelope(BaseModel):
    """Metadata plus payload; `key` is the aggregate id that picks the partition."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    type: str
    version: int = 1
    source: str
    occurred_at: datetime = Field(default_factory=utcnow)
    correlation_id: str | None = None
    causation_id: str | None = None
    key: str
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        """Wire form: UTF-8 JSON."""
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        """Parse the wire form; raises pydantic.ValidationError on anything malformed."""
        return cls.model_validate_json(data)
