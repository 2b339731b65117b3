"""`duban status`: one table with each process, its health, restarts, lag, outbox backlog and dead letters."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.table import Table

from duban.stack import SERVICES, port_of, status_file


@dataclass
class Row:
    """What `duban status` shows for one process."""

    name: str
    port: int | None
    pid: int | None
    state: str
    health: str
    restarts: int | None
    lag: float | None = None
    backlog: float | None = None
    failed_rows: float | None = None
    dead_letters: float | None = None


def _sum(text: str, suffix: str) -> float | None:
    """Sum every sample of the metric whose name ends with `suffix` (the service prefix differs)."""
    total: float | None = None
    for fam in text_string_to_metric_families(text):
        for sample in fam.samples:
            if sample.name.endswith(suffix) and sample.name.startswith("duban_"):
                total = (total or 0.0) + sample.value
    return total


def _probe(row: Row, client: httpx.Client) -> None:
    if row.port is None:
        return
    base = f"http://127.0.0.1:{row.port}"
    try:
        r = client.get(base + "/readyz")
        row.health = "就绪" if r.status_code == 200 else "未就绪"
        if r.status_code != 200:
            checks = r.json().get("error", {}).get("details") or {}
            bad = [k for k, v in checks.items() if v != "ok"] if isinstance(checks, dict) else []
            row.health += f"（{', '.join(bad)}）" if bad else ""
        text = client.get(base + "/metrics").text
    except httpx.HTTPError:
        row.health = "无响应"
        return
    row.lag = _sum(text, "_consumer_lag")
    row.backlog = _sum(text, "_outbox_backlog")
    row.failed_rows = _sum(text, "_outbox_failed_rows")
    row.dead_letters = _sum(text, "_events_dead_lettered_total")
    if row.dead_letters is None:
        row.dead_letters = _sum(text, "_events_failed_total")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def collect() -> tuple[dict | None, list[Row]]:  # type: ignore[type-arg]
    """Read the supervisor's status file (if any) and probe every service."""
    path = status_file()
    status = json.loads(path.read_text()) if path.exists() else None
    if status and not _alive(status["supervisor_pid"]):
        status = None  # left behind by a supervisor that was killed: its pids mean nothing now
    rows: list[Row] = []
    if status:
        for c in status["children"]:
            rows.append(Row(c["name"], c["port"], c["pid"], c["state"], "?", c["restarts"]))
    else:
        rows = [Row(s.name, port_of(s), None, "?", "?", None) for s in SERVICES]
    with httpx.Client(timeout=2) as client:
        for row in rows:
            _probe(row, client)
    return status, rows


def _n(v: float | None) -> str:
    return "—" if v is None else f"{v:g}"


def render(console: Console) -> int:
    """Print the table; returns 0 when every process is ready, 1 otherwise."""
    status, rows = collect()
    table = Table(title="督办 duban 运行状态", header_style="bold")
    for col in ("进程", "端口", "PID", "状态", "健康", "重启", "滞后", "积压", "失败", "死信"):
        table.add_column(col, justify="right" if col not in ("进程", "状态", "健康") else "left", no_wrap=True)
    state_zh = {"running": "运行中", "restarting": "等待重启", "stopped": "已停止", "?": "—"}
    for r in rows:
        colour = "green" if r.health == "就绪" else "red"
        table.add_row(r.name, _n(r.port), _n(r.pid), state_zh.get(r.state, r.state), f"[{colour}]{r.health}[/]", _n(r.restarts),
                      _n(r.lag), _n(r.backlog), _n(r.failed_rows), _n(r.dead_letters))
    if status and status.get("broker"):
        b = status["broker"]
        table.add_row("broker", b["bootstrap"].rsplit(":", 1)[-1], _n(b["pid"]), "运行中" if b["pid"] else "已停止", "—",
                      _n(b["restarts"]), "", "", "", "")
    console.print(table)
    console.print("滞后=消费者落后的消息数；积压=outbox 待发布行；失败=无法发布而搁置的 outbox 行（duban events failed）；"
                  "死信=本服务送入死信 topic 的事件（duban dlq list）")
    if status is None:
        console.print("[yellow]没有找到 duban up 的状态文件（未在运行，或不是由 duban up 启动）；已直接探测默认端口。[/]")
    else:
        console.print(f"监督进程 {status['supervisor_pid']}，指标：http://127.0.0.1:{status['metrics_port']}/metrics")
    return 0 if all(r.health == "就绪" for r in rows) else 1
