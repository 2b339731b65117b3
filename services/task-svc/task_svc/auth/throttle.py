"""Failed-login throttling, per account and per client address, with counters in the database.

Only failures count. An address is locked for at most 60 s after a burst of failures; an account
is locked for 30 s after 5 failures, and each further lockout within the hour doubles that, up to
15 minutes, so only an account under sustained attack stays locked for long.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.errors import AppError
from task_svc.auth.models import LoginFailure


@dataclass(frozen=True)
class Rule:
    """When a key gets locked, and for how long."""

    limit: int  # failures within the window that lock
    window: float  # seconds
    lock: float  # first lockout, seconds
    max_lock: float  # cap after repeated lockouts
    strike_memory: float  # lockouts older than this are forgotten


ACCOUNT = Rule(limit=5, window=900, lock=30, max_lock=900, strike_memory=3600)
ADDRESS = Rule(limit=20, window=300, lock=60, max_lock=60, strike_memory=3600)


def keys(username: str, address: str) -> list[tuple[str, Rule]]:
    """The counters a login attempt touches."""
    return [(f"acct:{username.lower()[:100]}", ACCOUNT), (f"addr:{address[:100]}", ADDRESS)]


class TooManyAttempts(AppError):
    """429 with the seconds to wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "too_many_attempts", f"登录失败次数过多，请 {retry_after} 秒后再试", {"retry_after": retry_after})
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


async def check(*, session: AsyncSession, username: str, address: str, now: float | None = None) -> None:
    """Raise TooManyAttempts while the account or the address is locked."""
    now = time.time() if now is None else now
    wait = 0.0
    for key, _ in keys(username, address):
        row = await session.get(LoginFailure, key)
        if row is not None and row.locked_until > now:
            wait = max(wait, row.locked_until - now)
    if wait > 0:
        raise TooManyAttempts(max(1, math.ceil(wait)))


async def record_failure(*, session: AsyncSession, username: str, address: str, now: float | None = None) -> None:
    """Count a failed login against the account and the address; lock those over their limit."""
    now = time.time() if now is None else now
    for key, rule in keys(username, address):
        row = await session.get(LoginFailure, key)
        if row is None:
            row = LoginFailure(key=key, failures=0, window_start=now)
        if now - row.window_start > rule.window:
            row.failures, row.window_start = 0, now
        if row.locked_until and now - row.locked_until > rule.strike_memory:
            row.strikes = 0
        row.failures += 1
        if row.failures >= rule.limit:
            row.locked_until = now + min(rule.lock * 2 ** row.strikes, rule.max_lock)
            row.strikes += 1
            row.failures, row.window_start = 0, now
        session.add(row)


async def record_success(*, session: AsyncSession, username: str) -> None:
    """A correct password clears the account's counter (the address's stays: it may be guessing others)."""
    row = await session.get(LoginFailure, keys(username, "")[0][0])
    if row is not None:
        await session.delete(row)
