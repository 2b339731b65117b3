"""notify-svc settings."""

from pydantic import Field

from duban_shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    """Settings of notify-svc (in-app notifications and their live stream)."""

    service_name: str = "notify-svc"
    port: int = 8003
    sse_ping_seconds: float = Field(default=15.0, alias="DUBAN_SSE_PING")
    sse_queue_size: int = Field(default=200, alias="DUBAN_SSE_QUEUE")
    sse_replay_limit: int = Field(default=500, alias="DUBAN_SSE_REPLAY_LIMIT")
