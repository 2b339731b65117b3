"""notify-svc settings."""

from typing import Literal

from pydantic import Field

from duban_shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    """Settings of notify-svc (notices, their live stream, and delivery by email and group robots)."""

    service_name: str = "notify-svc"
    port: int = 8003
    sse_ping_seconds: float = Field(default=15.0, alias="DUBAN_SSE_PING")
    sse_queue_size: int = Field(default=200, alias="DUBAN_SSE_QUEUE")
    sse_replay_limit: int = Field(default=500, alias="DUBAN_SSE_REPLAY_LIMIT")
    # Links in emails and robot messages point at the console here.
    console_url: str = Field(default="http://localhost:8000", alias="DUBAN_CONSOLE_URL")
    # Reminders of one task to one unit within this window merge into the first notice.
    reminder_merge_minutes: float = Field(default=60.0, alias="DUBAN_NOTIFY_REMINDER_MERGE_MINUTES")
    # Live stream across replicas: a feed topic on the broker (every replica reads all of it).
    live_feed: bool = Field(default=True, alias="DUBAN_NOTIFY_LIVE_FEED")
    # SMTP (email channel); without a host, email deliveries fail at once with that reason.
    smtp_host: str | None = Field(default=None, alias="DUBAN_SMTP_HOST")
    smtp_port: int = Field(default=25, alias="DUBAN_SMTP_PORT")
    smtp_user: str | None = Field(default=None, alias="DUBAN_SMTP_USER")
    smtp_password: str | None = Field(default=None, alias="DUBAN_SMTP_PASSWORD")
    smtp_security: Literal["none", "starttls", "tls"] = Field(default="none", alias="DUBAN_SMTP_SECURITY")
    smtp_from: str = Field(default="督办系统 <duban@localhost>", alias="DUBAN_SMTP_FROM")
    # Robots: webhooks to loopback are refused unless this is set (tests); private ranges always are.
    allow_loopback_webhooks: bool = Field(default=False, alias="DUBAN_NOTIFY_ALLOW_LOOPBACK")
    # The delivery worker.
    delivery_enabled: bool = Field(default=True, alias="DUBAN_NOTIFY_DELIVERY")
    send_timeout_seconds: float = Field(default=10.0, alias="DUBAN_NOTIFY_SEND_TIMEOUT")
    max_attempts: int = Field(default=6, alias="DUBAN_NOTIFY_MAX_ATTEMPTS")
    backoff_seconds: float = Field(default=30.0, alias="DUBAN_NOTIFY_BACKOFF")
    channel_concurrency: int = Field(default=4, alias="DUBAN_NOTIFY_CHANNEL_CONCURRENCY")
    breaker_threshold: int = Field(default=5, alias="DUBAN_NOTIFY_BREAKER_THRESHOLD")
    breaker_cooldown_seconds: float = Field(default=60.0, alias="DUBAN_NOTIFY_BREAKER_COOLDOWN")
    worker_poll_seconds: float = Field(default=1.0, alias="DUBAN_NOTIFY_WORKER_POLL")
    lease_seconds: float = Field(default=120.0, alias="DUBAN_NOTIFY_LEASE")
