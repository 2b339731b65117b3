"""Checking what units configure: email addresses, and robot webhook URLs (refusing SSRF targets)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email


def check_email(address: str) -> str:
    """The normalised address, or ValueError with a reason in Chinese."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"邮箱地址无效：{address}（{exc}）") from None


def refused_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool) -> str | None:
    """Why a robot may not be sent to this address, or None."""
    if ip.is_loopback:
        return None if allow_loopback else "不允许指向本机（回环）地址"
    if ip.is_link_local:
        return "不允许指向链路本地地址"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return "不允许指向内网或保留地址"
    return None


def check_webhook_url(url: str, *, allow_loopback: bool) -> str:
    """The URL if a robot may post to it (syntax, scheme, literal address), else ValueError with the reason."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("Webhook 地址格式不正确") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("Webhook 地址须以 https:// 开头并包含主机名")
    if parts.username or parts.password:
        raise ValueError("Webhook 地址不能包含用户名或密码")
    host = parts.hostname
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        why = refused_ip(ip, allow_loopback=allow_loopback)
        if why:
            raise ValueError(f"Webhook 地址{why}")
    elif (host == "localhost" or host.endswith((".localhost", ".local", ".internal"))) and not (allow_loopback and host == "localhost"):
        raise ValueError("Webhook 地址不允许指向本机或内网主机名")
    local = allow_loopback and (host == "localhost" or (ip is not None and ip.is_loopback))
    if parts.scheme != "https" and not local:
        raise ValueError("Webhook 地址须使用 https")
    if port is not None and not 0 < port < 65536:
        raise ValueError("Webhook 地址端口无效")
    return url.strip()


async def check_resolved(url: str, *, allow_loopback: bool) -> None:
    """Resolve the webhook's host now and refuse it if any address is one we may not reach (ValueError)."""
    host = urlsplit(url).hostname or ""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ValueError(f"无法解析 Webhook 主机 {host}：{exc}") from None
    for info in infos:
        why = refused_ip(ipaddress.ip_address(info[4][0]), allow_loopback=allow_loopback)
        if why:
            raise ValueError(f"Webhook 主机 {host} 解析到的地址{why}")
