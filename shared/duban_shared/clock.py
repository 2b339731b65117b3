"""One clock and one business date for every service (Asia/Shanghai), controllable in tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock:
    """Wall-clock time in UTC; tests freeze or advance it instead of sleeping."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def freeze(self, at: datetime) -> None:
        """Stop time at `at` (naive values are taken as UTC)."""
        self._frozen = at if at.tzinfo else at.replace(tzinfo=UTC)

    def advance(self, delta: timedelta) -> None:
        """Move a frozen clock forward; freezes a running one at now + delta."""
        self._frozen = self.now() + delta

    def unfreeze(self) -> None:
        """Back to real time."""
        self._frozen = None


clock = Clock()


def business_now() -> datetime:
    """The current instant in Asia/Shanghai, where the bureau works."""
    return clock.now().astimezone(SHANGHAI)


def business_today() -> date:
    """Today's date in Asia/Shanghai: a task due on D is overdue from D + 1 there."""
    return business_now().date()
