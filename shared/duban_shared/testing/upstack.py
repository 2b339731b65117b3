"""`duban up` as a real process tree on free ports, for the supervisor and Prometheus tests."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duban_shared.testing import TEST_SESSION_TIMEOUT_MS
from duban_shared.testing.broker import free_port

DUBAN = Path(sys.executable).parent / "duban"


def free_block(n: int = 10) -> int:
    """A base port with n free ports after it."""
    for _ in range(200):
        base = random.randint(20000, 40000)
        ok = True
        for p in range(base, base + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free block of ports")


def alive(pid: int) -> bool:
    """True while a process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll until `check()` is truthy."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@dataclass
class Up:
    """A running `duban up` and where to find its parts."""

    proc: subprocess.Popen[bytes]
    env: dict[str, str]
    var: Path
    out: Path
    base: int

    def status(self) -> dict | None:  # type: ignore[type-arg]
        """The supervisor's status file, if present."""
        try:
            return json.loads((self.var / "run" / "supervisor.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def child(self, name: str) -> dict:  # type: ignore[type-arg]
        """One child's entry."""
        st = self.status()
        assert st is not None
        return next(c for c in st["children"] if c["name"] == name)

    def pids(self) -> list[int]:
        """Every child pid and the broker's."""
        st = self.status()
        assert st is not None
        return [c["pid"] for c in st["children"] if c["pid"]] + [st["broker"]["pid"]]

    def output(self) -> str:
        """What `duban up` printed."""
        return self.out.read_text(errors="replace")

    @property
    def gateway(self) -> str:
        """The gateway's base URL."""
        return f"http://127.0.0.1:{self.base}"


@contextmanager
def duban_up(tmp_path: Path, *args: str, timeout: float = 180, **extra_env: str) -> Iterator[Up]:
    """Start `duban up` with its own var dir and ports; wait until it says it started; SIGTERM it at the end."""
    base = free_block()
    var = tmp_path / "var"
    env = {**os.environ, "DUBAN_VAR_DIR": str(var), "DUBAN_PORT_BASE": str(base), "DUBAN_BROKER_PORT": str(free_port()),
           "DUBAN_LOG_JSON": "false", "COLUMNS": "200",
           # `--no-demo` here only skips the demo directory: the services still run with demo keys and passwords.
           "DUBAN_DEMO": "true", "DUBAN_KAFKA_SESSION_TIMEOUT_MS": str(TEST_SESSION_TIMEOUT_MS), **extra_env}
    for k in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"):
        env.pop(k, None)
    out = tmp_path / "up.out"
    with open(out, "wb") as f:
        proc = subprocess.Popen([str(DUBAN), "up", *args], env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    u = Up(proc, env, var, out, base)
    try:
        wait_for(lambda: proc.poll() is not None or (u.status() and "已启动" in u.output()), timeout, "the stack to start")
        assert proc.poll() is None, u.output()
        yield u
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
