"""Circuit breakers per channel endpoint, on the controllable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from duban_shared.clock import clock


@dataclass
class Breaker:
    """Opens after `threshold` failures in a row; after `cooldown` lets one trial through (half-open)."""

    threshold: int
    cooldown: timedelta
    failures: int = 0
    opened_at: datetime | None = None
    trial: bool = False

    def allow(self) -> datetime | None:
        """None if a send may go now, else when to try again."""
        if self.opened_at is None:
            return None
        reopen = self.opened_at + self.cooldown
        if clock.now() >= reopen and not self.trial:
            self.trial = True
            return None
        return reopen if clock.now() < reopen else clock.now() + self.cooldown

    def success(self) -> None:
        """Close."""
        self.failures, self.opened_at, self.trial = 0, None, False

    def failure(self) -> None:
        """Count; open (again) at the threshold or when the half-open trial failed."""
        self.failures += 1
        if self.trial or self.failures >= self.threshold:
            self.opened_at, self.trial = clock.now(), False

    @property
    def open(self) -> bool:
        """True while sends are held back."""
        return self.opened_at is not None


@dataclass
class Breakers:
    """One breaker per key, made on first use."""

    threshold: int
    cooldown: timedelta
    by_key: dict[str, Breaker] = field(default_factory=dict)

    def get(self, key: str) -> Breaker:
        """The breaker of a key."""
        b = self.by_key.get(key)
        if b is None:
            b = self.by_key[key] = Breaker(self.threshold, self.cooldown)
        return b
