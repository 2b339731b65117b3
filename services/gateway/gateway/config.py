"""gateway settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from duban_shared.settings import ServiceSettings

MB = 1024 * 1024
# services/gateway/gateway/config.py → the repository root, where `console/` builds into `console/dist`.
DEFAULT_CONSOLE_DIR = Path(__file__).resolve().parents[3] / "console" / "dist"


class GatewaySettings(ServiceSettings):
    """Settings of the gateway: where the upstreams are and how long to wait for them."""

    service_name: str = "gateway"
    port: int = 8000
    # Its own variable: a DUBAN_MAX_BODY_BYTES meant for the services must not shrink the
    # gateway below the 20 MB plan uploads it has to let through.
    max_body_bytes: int = Field(default=21 * MB, alias="DUBAN_GATEWAY_MAX_BODY_BYTES")
    upstream_connect_timeout: float = Field(default=3.0, alias="DUBAN_GATEWAY_CONNECT_TIMEOUT")
    # Read/write timeout per network operation, not for the whole response.
    upstream_timeout: float = Field(default=60.0, alias="DUBAN_GATEWAY_UPSTREAM_TIMEOUT")
    upstream_pool_timeout: float = Field(default=5.0, alias="DUBAN_GATEWAY_POOL_TIMEOUT")
    upstream_max_connections: int = Field(default=200, alias="DUBAN_GATEWAY_MAX_CONNECTIONS")
    readiness_timeout: float = Field(default=2.0, alias="DUBAN_GATEWAY_READINESS_TIMEOUT")
    # The built console (`duban console build`); a Chinese "not built yet" page when it is missing.
    console_dir: Path = Field(default=DEFAULT_CONSOLE_DIR, alias="DUBAN_CONSOLE_DIR")
