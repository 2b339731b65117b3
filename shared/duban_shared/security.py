"""Startup secret checks, the caller's address behind the gateway, and the token-version guard."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import httpx
from starlette.requests import Request

from duban_shared.auth import Principal
from duban_shared.errors import AppError
from duban_shared.messaging.signing import TOPIC_OWNERS, signer_for

log = logging.getLogger(__name__)


class ConfigError(RuntimeError):
    """A setting that makes it unsafe or impossible to start; the message says what to change."""


def check_kafka_credentials(settings: Any) -> None:
    """SASL without its credentials would fail later with a vague broker error: say so at startup."""
    protocol = (settings.kafka_security_protocol or "").upper()
    if protocol.startswith("SASL") and not (settings.kafka_username and settings.kafka_password):
        raise ConfigError(f"DUBAN_KAFKA_SECURITY_PROTOCOL={protocol} 需要同时设置 DUBAN_KAFKA_USERNAME 和 DUBAN_KAFKA_PASSWORD")


def event_signer(settings: Any, service: str):  # type: ignore[no-untyped-def]
    """The service's event signer; production refuses to start a topic owner without its key."""
    owner = service in TOPIC_OWNERS.values()
    signer = signer_for(settings.keys_dir, service, settings.topic_prefix, create=settings.demo_mode)
    if signer is None and owner:
        raise ConfigError(f"缺少 {service} 的事件签名密钥（{settings.keys_dir}/events/{service}.key）："
                          "生产模式不会自动生成，请先运行 `duban keys init` 或挂载密钥")
    return signer


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`DUBAN_TRUSTED_PROXIES`: comma-separated addresses or CIDR blocks."""
    return [ipaddress.ip_network(p.strip(), strict=False) for p in text.split(",") if p.strip()]


def _trusted(host: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(addr in n for n in networks)


def client_address(request: Request, trusted: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> str:
    """The caller's address: X-Forwarded-For is believed only when the peer is a trusted proxy (the gateway).

    Walks the header from the right (what our own proxies appended) and takes the first address
    that is not itself a trusted proxy; anything further left was written by the client.
    """
    peer = request.client.host if request.client else "unknown"
    if not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop if _valid_ip(hop) else peer
    return hops[0] if hops and _valid_ip(hops[0]) else peer


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class HttpTokenGuard:
    """Other services ask task-svc whether an account's token version is still current (cached briefly).

    Tokens without a version (OIDC, or minted by a key holder) pass; task-svc being unreachable is
    logged and lets the token through, so a task-svc outage does not lock everyone out.
    """

    def __init__(self, url: str, ttl: float, *, oidc: bool = False) -> None:
        self.oidc = oidc
        self.url = url.rstrip("/") + "/internal/auth/check"
        self.ttl = ttl
        self._cache: dict[tuple[str, int | None, str | None], tuple[float, bool]] = {}
        self.client = httpx.AsyncClient(timeout=3.0)

    async def check(self, p: Principal) -> None:
        """Raise 401 when task-svc says the token no longer stands for an active account."""
        if self.oidc:  # the identity provider revokes; the unit it names must be one of ours
            params: dict[str, Any] = {"unit_id": p.unit_id or ""}
        elif p.token_version is None:
            return
        else:
            params = {"username": p.username, "ver": p.token_version}
        key = (p.username, p.token_version, p.unit_id)
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is None or hit[0] < now:
            try:
                r = await self.client.get(self.url, params=params)
                ok = r.status_code == 200 and bool(r.json().get("ok"))
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("token check unavailable: %s", type(exc).__name__)
                return
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = hit = (now + self.ttl, ok)
        if not hit[1]:
            raise AppError(401, "token_revoked", "登录已失效，请重新登录")

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()


T = TypeVar("T")


async def session_valid(request: Request, user: Principal) -> bool:
    """False once the token has expired or the account behind it was revoked."""
    if user.expires_at is not None and time.time() >= user.expires_at:
        return False
    guard = getattr(request.app.state, "token_guard", None)
    if guard is None:
        return True
    try:
        await guard.check(user)
    except AppError:
        return False
    return True


async def while_session_valid(events: AsyncIterator[T], *, request: Request, user: Principal, every: float,
                              last: T | None = None) -> AsyncIterator[T]:
    """Pass a long-lived stream through until its session ends (checked every `every` s); then `last`, and close."""
    it = aiter(events)
    pending: asyncio.Future[T] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(it))
            done, _ = await asyncio.wait({pending}, timeout=every)
            if done:
                try:
                    item = pending.result()
                except StopAsyncIteration:
                    return
                pending = None
                yield item
            if not await session_valid(request, user):
                if last is not None:
                    yield last
                return
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration, Exception):
                await pending
        aclose = getattr(it, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
