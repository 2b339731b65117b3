"""`duban up` as a real process tree: it heals a SIGKILLed service, gives up on a crash loop, stops cleanly
on SIGTERM, and its children die with it when it is SIGKILLed itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from duban_shared.testing.upstack import DUBAN, Up, alive, duban_up, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    """`duban up --no-demo` on free ports."""
    with duban_up(tmp_path, "--no-demo") as u:
        yield u


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
    # The ports are free again: the next `make run` can start (a dying process may hold its socket a moment).
    def closed(port: int) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) != 0

    wait_for(lambda: all(closed(p) for p in range(up.base, up.base + 5)), 15, "the stack's ports to be free")
    # The status file it left behind is recognised as stale.
    shown = subprocess.run([str(DUBAN), "status"], env=up.env, capture_output=True, text=True, timeout=60, check=False)
    assert shown.returncode == 1 and "无响应" in shown.stdout and str(pids[0]) not in shown.stdout
