"""What the three group robots share: an SSRF-checked POST with a timeout and an idempotency key."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any
from urllib.parse import urlsplit

import httpx

from notify_svc.channels.base import Outgoing, SendError, Target
from notify_svc.channels.validation import check_resolved

IDEMPOTENCY_HEADER = "X-Duban-Idempotency-Key"


class RobotAdapter(ABC):
    """Base of the DingTalk, WeCom and Feishu adapters: subclasses shape the URL, the body and the answer."""

    name = "robot"

    def __init__(self, *, timeout: float, allow_loopback: bool) -> None:
        self.timeout = timeout
        self.allow_loopback = allow_loopback
        self._client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        """One pooled client per adapter (made on first use: building its TLS context is slow)."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False, trust_env=False)
        return self._client

    async def aclose(self) -> None:
        """Close the pooled client."""
        if self._client is not None:
            c, self._client = self._client, None
            await c.aclose()

    def breaker_key(self, target: Target) -> str:
        """One breaker per robot endpoint (scheme, host and path; never the token in the query)."""
        p = urlsplit(target.url)
        return f"{self.name}:{p.scheme}://{p.netloc}{p.path}"

    @abstractmethod
    def request(self, message: Outgoing, target: Target) -> tuple[str, dict[str, Any]]:
        """The URL to post to and the JSON body."""

    @abstractmethod
    def accepted(self, answer: dict[str, Any]) -> str | None:
        """None if the robot's JSON answer means success, else its error text."""

    @staticmethod
    def markdown(message: Outgoing) -> str:
        """The notice as Markdown, with the console link."""
        mark = "【紧急】" if message.urgent else ""
        return f"### {mark}{message.title}\n\n{message.body}\n\n[在督办系统中查看]({message.link})"

    async def send(self, message: Outgoing, target: Target) -> None:
        """Post once; SendError on refusal, a non-2xx answer or an error code in the answer."""
        if not target.url:
            raise SendError("未配置 Webhook 地址", retryable=False)
        try:
            await check_resolved(target.url, allow_loopback=self.allow_loopback)
        except ValueError as exc:
            raise SendError(str(exc), retryable=False) from None
        url, body = self.request(message, target)
        headers = {IDEMPOTENCY_HEADER: message.idempotency_key}
        try:
            r = await self.client().post(url, json=body, headers=headers)
        except httpx.TimeoutException:
            raise SendError("请求超时") from None
        except httpx.HTTPError as exc:
            raise SendError(f"连接失败：{type(exc).__name__}") from None
        if r.status_code >= 300:
            raise SendError(f"HTTP {r.status_code}", retryable=r.status_code >= 500 or r.status_code == 429)
        try:
            answer = r.json()
        except ValueError:
            raise SendError("应答不是 JSON") from None
        err = self.accepted(answer if isinstance(answer, dict) else {})
        if err is not None:
            raise SendError(f"机器人拒绝：{err}"[:400])
