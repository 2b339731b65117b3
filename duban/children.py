"""Child processes of the supervisor: parent-death signal, restart backoff and crash-loop detection."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1
CRASH_LIMIT = 5
CRASH_WINDOW = 60.0
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 10.0


try:
    # Looked up once in the parent: between fork and exec the child must not dlopen (the supervisor has threads).
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: the supervisor's stop() is the only guard left
    _PRCTL = None


def die_with_parent() -> None:
    """preexec_fn: the kernel SIGKILLs this child when the supervisor dies, even by SIGKILL (Linux only)."""
    if _PRCTL is None:
        return
    _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The parent may have died between fork and prctl; then nobody would ever signal us.
    if os.getppid() == 1:
        os._exit(1)


@dataclass
class CrashPolicy:
    """Restart after a growing delay; give up after `limit` crashes within `window` seconds."""

    limit: int = CRASH_LIMIT
    window: float = CRASH_WINDOW
    first: float = BACKOFF_FIRST
    maximum: float = BACKOFF_MAX
    crashes: deque[float] = field(default_factory=deque)

    def record(self, now: float) -> None:
        """Note a crash at `now` (monotonic seconds)."""
        self.crashes.append(now)
        while self.crashes and now - self.crashes[0] > self.window:
            self.crashes.popleft()

    @property
    def looping(self) -> bool:
        """True when the recent crashes amount to a crash loop."""
        return len(self.crashes) >= self.limit

    def delay(self) -> float:
        """Backoff before the next start: doubles with each recent crash."""
        n = max(len(self.crashes), 1)
        return min(self.first * 2 ** (n - 1), self.maximum)


@dataclass
class Child:
    """One supervised process and its restart bookkeeping."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    log_path: Path
    port: int
    policy: CrashPolicy = field(default_factory=CrashPolicy)
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    restart_at: float | None = None
    last_exit: int | None = None

    def start(self) -> None:
        """Spawn in its own process group, bound to the supervisor's life."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, preexec_fn=die_with_parent)  # noqa: PLW1509
        self.restart_at = None

    @property
    def pid(self) -> int | None:
        """The running process id, if any."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def exited(self) -> int | None:
        """The exit code if the process has ended and no restart is pending yet."""
        if self.proc is None or self.restart_at is not None:
            return None
        return self.proc.poll()

    def schedule_restart(self, now: float) -> float:
        """Record the crash and pick when to start again; returns the delay."""
        self.last_exit = self.proc.returncode if self.proc else None
        self.policy.record(now)
        delay = self.policy.delay()
        self.restart_at = now + delay
        return delay

    def due(self, now: float) -> bool:
        """True when a scheduled restart should happen now."""
        return self.restart_at is not None and now >= self.restart_at

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the group, SIGKILL it after `grace` seconds."""
        p = self.proc
        if p is None or p.poll() is not None:
            return
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()

    def state(self) -> str:
        """running | restarting | stopped."""
        if self.pid is not None:
            return "running"
        return "restarting" if self.restart_at is not None else "stopped"


def monotonic() -> float:
    """Seconds on a clock that never jumps."""
    return time.monotonic()
