"""Feishu (飞书) custom bot: a post (rich text) message; signed in the body with timestamp and sign."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from notify_svc.channels.base import Outgoing, Target
from notify_svc.channels.webhook import RobotAdapter


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b"")), as Feishu checks it."""
    return base64.b64encode(hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


class FeishuAdapter(RobotAdapter):
    """POST {"msg_type":"post"} with "timestamp" and "sign" in the body when a secret is set."""

    name = "feishu"

    def request(self, message: Outgoing, target: Target) -> tuple[str, dict[str, Any]]:
        """The URL as configured, and the signed post body with a link to the console."""
        mark = "【紧急】" if message.urgent else ""
        body: dict[str, Any] = {
            "msg_type": "post",
            "content": {"post": {"zh_cn": {"title": f"{mark}{message.title}", "content": [
                [{"tag": "text", "text": message.body}],
                [{"tag": "a", "text": "在督办系统中查看", "href": message.link}],
            ]}}},
        }
        if target.secret:
            ts = int(time.time())
            body = {"timestamp": str(ts), "sign": feishu_sign(target.secret, ts), **body}
        return target.url, body

    def accepted(self, answer: dict[str, Any]) -> str | None:
        """code 0 (or the older StatusCode 0) is success."""
        code = answer.get("code", answer.get("StatusCode"))
        return None if code == 0 else f"{code} {answer.get('msg', answer.get('StatusMessage', ''))}"
