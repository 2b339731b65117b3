"""`duban up` as a real process tree: it heals a SIGKILLed service, gives up on a crash loop, stops cleanly
on SIGTERM, and its children die with it when it is SIGKILLed itself."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from duban_shared.testing.broker import free_port

pytestmark = pytest.mark.slow
DUBAN = Path(sys.executable).parent / "duban"


def _free_block(n: int = 10) -> int:
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


def wait_for(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
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
        path = self.var / "run" / "supervisor.json"
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def child(self, name: str) -> dict:  # type: ignore[type-arg]
        st = self.status()
        assert st is not None
        return next(c for c in st["children"] if c["name"] == name)

    def pids(self) -> list[int]:
        st = self.status()
        assert st is not None
        return [c["pid"] for c in st["children"] if c["pid"]] + [st["broker"]["pid"]]

    def output(self) -> str:
        return self.out.read_text(errors="replace")


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    """Start `duban up --no-demo` on free ports with its own var dir; wait until every service is healthy."""
    base = _free_block()
    var = tmp_path / "var"
    env = {**os.environ, "DUBAN_VAR_DIR": str(var), "DUBAN_PORT_BASE": str(base), "DUBAN_BROKER_PORT": str(free_port()),
           "DUBAN_LOG_JSON": "false", "COLUMNS": "200"}
    for k in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"):
        env.pop(k, None)
    out = tmp_path / "up.out"
    with open(out, "wb") as f:
        proc = subprocess.Popen([str(DUBAN), "up", "--no-demo"], env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    u = Up(proc, env, var, out, base)
    try:
        wait_for(lambda: proc.poll() is not None or (u.status() and "已启动" in u.output()), 180, "the stack to start")
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


def healthy(port: int) -> bool:
    """/healthz answers 200."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_killed_service_heals_and_the_restart_is_counted(up: Up) -> None:
    victim = up.child("task-svc")
    os.kill(victim["pid"], signal.SIGKILL)
    t0 = time.monotonic()
    healed = wait_for(lambda: (c := up.child("task-svc"))["restarts"] == 1 and c["pid"] and healthy(c["port"]) and c, 90, "task-svc back")
    print(f"healed in {time.monotonic() - t0:.1f}s")
    assert healed["pid"] != victim["pid"]
    assert up.proc.poll() is None
    assert "task-svc 意外退出（退出码 -9）" in up.output() and "task-svc 已重新启动" in up.output()
    # The other services were left alone.
    assert all(c["restarts"] == 0 for c in up.status()["children"] if c["name"] != "task-svc")  # type: ignore[index]
    metrics = httpx.get(f"http://127.0.0.1:{up.status()['metrics_port']}/metrics").text  # type: ignore[index]
    assert 'duban_supervisor_restarts_total{service="task-svc"} 1.0' in metrics
    shown = subprocess.run([str(DUBAN), "status"], env=up.env, capture_output=True, text=True, timeout=60, check=False)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    line = next(ln for ln in shown.stdout.splitlines() if "task-svc" in ln)
    assert "就绪" in line and str(healed["pid"]) in line


def test_a_crash_loop_stops_everything_and_says_so(up: Up) -> None:
    pids = up.pids()
    kills = 0
    last = None
    while up.proc.poll() is None and kills < 10:
        st = up.status()
        if st is None:  # the supervisor is stopping and has removed its status file
            break
        c = next(c for c in st["children"] if c["name"] == "plan-svc")
        if c["pid"] and c["pid"] != last:
            os.kill(c["pid"], signal.SIGKILL)
            last = c["pid"]
            kills += 1
        time.sleep(0.1)
    assert up.proc.wait(60) == 3
    assert kills == 5
    assert "plan-svc 在 60 秒内崩溃了 5 次" in up.output() and "崩溃循环" in up.output()
    wait_for(lambda: not any(alive(p) for p in pids), 30, "every child gone")


def test_sigterm_stops_every_process(up: Up) -> None:
    pids = up.pids()
    up.proc.send_signal(signal.SIGTERM)
    assert up.proc.wait(60) == 0
    assert not any(alive(p) for p in pids)
    assert "已全部停止" in up.output()
    assert up.status() is None


def test_children_die_with_a_sigkilled_supervisor(up: Up) -> None:
    pids = up.pids()
    assert len(pids) == 6 and all(alive(p) for p in pids)
    up.proc.send_signal(signal.SIGKILL)
    up.proc.wait(10)
    wait_for(lambda: not any(alive(p) for p in pids), 30, "children to follow the supervisor")
    # The ports are free again: the next `make run` can start.
    for port in range(up.base, up.base + 5):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
