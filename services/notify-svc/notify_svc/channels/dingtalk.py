"""DingTalk (钉钉) custom robot: markdown message; signed with timestamp + HMAC-SHA256 of the secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import quote_plus

from notify_svc.channels.base import Outgoing, Target
from notify_svc.channels.webhook import RobotAdapter


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")), URL-encoded, as DingTalk checks it."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


class DingTalkAdapter(RobotAdapter):
    """POST {"msgtype":"markdown"} to the robot's URL, with &timestamp=&sign= when a secret is set."""

    name = "dingtalk"

    def request(self, message: Outgoing, target: Target) -> tuple[str, dict[str, Any]]:
        """URL with the signature, and the markdown body."""
        url = target.url
        if target.secret:
            ts = int(time.time() * 1000)
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={dingtalk_sign(target.secret, ts)}"
        body = {"msgtype": "markdown", "markdown": {"title": message.title[:60], "text": self.markdown(message)}}
        return url, body

    def accepted(self, answer: dict[str, Any]) -> str | None:
        """errcode 0 is success."""
        return None if answer.get("errcode") == 0 else f"{answer.get('errcode')} {answer.get('errmsg', '')}"
