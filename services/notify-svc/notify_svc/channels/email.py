"""Email over SMTP (aiosmtplib): Chinese subject and body, a console link, a stable Message-ID."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib

from notify_svc.channels.base import Outgoing, SendError, Target
from notify_svc.config import NotifySettings


def message_id(delivery_id: str, sender: str) -> str:
    """The same Message-ID for every attempt of one delivery, so a repeated send is recognisable."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "duban.local"
    return f"<{delivery_id}@{domain}>"


def build_email(message: Outgoing, to: str, sender: str) -> EmailMessage:
    """The MIME message (UTF-8 text)."""
    m = EmailMessage()
    m["Subject"] = ("【紧急】" if message.urgent else "") + f"【督办】{message.title}"
    m["From"] = sender
    m["To"] = to
    m["Message-ID"] = message_id(message.delivery_id, sender)
    m["Date"] = format_datetime(message.created_at)
    m["X-Duban-Notice"] = message.notification_id
    m.set_content(f"{message.body}\n\n在督办系统中查看：{message.link}\n\n（本邮件由督办系统自动发送，请勿直接回复。）\n", charset="utf-8")
    return m


class EmailAdapter:
    """Sends through the configured SMTP server."""

    name = "email"

    def __init__(self, settings: NotifySettings) -> None:
        self.s = settings

    def breaker_key(self, target: Target) -> str:
        """One breaker for the SMTP server (a bad mailbox is not the server failing)."""
        return f"email:{self.s.smtp_host}:{self.s.smtp_port}"

    async def send(self, message: Outgoing, target: Target) -> None:
        """Hand the message to the SMTP server; SendError on refusal or a broken connection."""
        s = self.s
        if not s.smtp_host:
            raise SendError("未配置邮件服务器（DUBAN_SMTP_HOST）", retryable=False)
        try:
            await aiosmtplib.send(
                build_email(message, target.address, s.smtp_from), hostname=s.smtp_host, port=s.smtp_port,
                username=s.smtp_user, password=s.smtp_password, use_tls=s.smtp_security == "tls",
                start_tls=s.smtp_security == "starttls", timeout=s.send_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"收件人被拒绝：{exc}"[:400], retryable=False) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise SendError(f"SMTP {exc.code} {exc.message}"[:400], retryable=exc.code >= 400 and exc.code < 500) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendError(f"邮件发送失败：{type(exc).__name__} {exc}"[:400]) from None
