"""WeCom (企业微信) group robot: markdown message; the key in the URL is its only credential (no signature)."""

from __future__ import annotations

from typing import Any

from notify_svc.channels.base import Outgoing, Target
from notify_svc.channels.webhook import RobotAdapter

MAX_BYTES = 4096  # WeCom refuses markdown content longer than this


class WeComAdapter(RobotAdapter):
    """POST {"msgtype":"markdown","markdown":{"content"}} to the webhook URL (…/send?key=…)."""

    name = "wecom"

    def request(self, message: Outgoing, target: Target) -> tuple[str, dict[str, Any]]:
        """The URL as configured, and the markdown body cut to WeCom's limit."""
        content = self.markdown(message)
        while len(content.encode()) > MAX_BYTES:
            content = content[: int(len(content) * 0.9)]
        return target.url, {"msgtype": "markdown", "markdown": {"content": content}}

    def accepted(self, answer: dict[str, Any]) -> str | None:
        """errcode 0 is success."""
        return None if answer.get("errcode") == 0 else f"{answer.get('errcode')} {answer.get('errmsg', '')}"
