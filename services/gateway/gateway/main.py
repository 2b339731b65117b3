"""The gateway app: console at `/`, `/api/*` proxied to the services, no database, no broker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
from fastapi import FastAPI

from duban_shared.errors import install_error_handlers
from duban_shared.http import BodyLimitMiddleware, CorrelationMiddleware
from duban_shared.logging import configure_logging, log_fields
from duban_shared.metrics import MetricsMiddleware
from gateway import console, ops, proxy, session
from gateway.config import GatewaySettings
from gateway.metrics import GatewayMetrics
from gateway.routes import upstreams

log = logging.getLogger(__name__)


def http_client(settings: GatewaySettings) -> httpx.AsyncClient:
    """The one client every proxied request shares (connection pooling to the upstreams)."""
    timeout = httpx.Timeout(
        connect=settings.upstream_connect_timeout, read=settings.upstream_timeout,
        write=settings.upstream_timeout, pool=settings.upstream_pool_timeout,
    )
    # Idle connections are dropped well before uvicorn's 5 s keep-alive timeout closes them from the
    # other side; reusing one the service is closing at that moment would turn into a spurious 502.
    limits = httpx.Limits(max_connections=settings.upstream_max_connections, max_keepalive_connections=50,
                          keepalive_expiry=2.0)
    # One client serves every user: it must never keep a cookie one user's response set, and
    # HTTP(S)_PROXY from the environment must not reroute calls to services next door.
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(timeout=timeout, limits=limits, cookies=no_cookies, trust_env=False, follow_redirects=False)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """Build the gateway app."""
    settings = settings or GatewaySettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    metrics = GatewayMetrics()
    table = upstreams(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with http_client(settings) as client:
            app.state.http = client
            log.info("gateway started", extra=log_fields(upstreams={n: u.url for n, u in table.items()}))
            yield

    app = FastAPI(
        title="duban gateway", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None, redirect_slashes=False
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.upstreams = table
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, default_limit=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(CorrelationMiddleware)
    app.add_middleware(console.SecurityHeadersMiddleware)
    ops.install(app)
    session.install(app)
    proxy.install(app)
    console.install(app)
    return app
