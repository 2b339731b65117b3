"""`duban up`: the whole stack in the foreground; crashed services restart; Ctrl-C stops every process it started."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console

from duban.children import Child, die_with_parent, monotonic
from duban.stack import (
    DATA_SERVICES,
    SERVICES,
    ServiceDef,
    broker_port,
    database_url,
    ensure_database,
    port_base,
    port_of,
    status_file,
    supervisor_port,
    var_dir,
)
from duban.supmetrics import SupervisorMetrics
from duban_shared.auth import ensure_keypair
from duban_shared.db import run_migrations
from duban_shared.testing.broker import EmbeddedBroker, wait_for_port

console = Console()
DEMO_ACCOUNTS = [
    ("admin", "市教育局系统管理员"),
    ("city", "市教育局（计划管理员）"),
    ("d-jjc", "基础教育处"),
    ("haishu", "海曙区教育局"),
    ("haishu-p001", "海曙区一所小学"),
]


def _port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class SupervisedBroker(EmbeddedBroker):
    """The embedded broker, bound to the supervisor's life like every other child."""

    def start(self) -> SupervisedBroker:
        """Start and wait until it accepts connections."""
        with open(self.log_path, "ab") if self.log_path else open(os.devnull, "wb") as out:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True, preexec_fn=die_with_parent)  # noqa: PLW1509
        wait_for_port("127.0.0.1", self.port)
        return self


class Stack:
    """The processes of one `duban up`: started, watched, restarted, stopped."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.children: list[Child] = []
        self.broker: EmbeddedBroker | None = None
        self.broker_restarts = 0
        self.logs = var_dir() / "logs"
        self.metrics = SupervisorMetrics()
        self.started_at = time.time()

    def preflight(self) -> None:
        """Fail early, in words, when a port is taken."""
        ports = [port_of(s) for s in SERVICES] + [supervisor_port()]
        ports += [] if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") else [broker_port()]
        busy = [p for p in ports if _port_busy(p)]
        if busy:
            raise SystemExit(f"端口 {', '.join(map(str, busy))} 已被占用：是否已有一个 duban 在运行？请先停止它（Ctrl-C）再启动。")

    def start_broker(self) -> str:
        """Start the embedded broker unless KAFKA_BOOTSTRAP_SERVERS points elsewhere."""
        external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if external:
            console.print(f"[cyan]Kafka[/]: {external}（外部）")
            return external
        self.broker = SupervisedBroker(port=broker_port(), log_path=self.logs / "broker.log").start()
        console.print(f"[cyan]Kafka[/]: 内嵌 Tansu broker {self.broker.bootstrap}（仅内存）")
        return self.broker.bootstrap

    def migrate(self) -> dict[str, str]:
        """Create databases if needed and upgrade each to head."""
        urls: dict[str, str] = {}
        for svc in DATA_SERVICES:
            url = database_url(svc)
            ensure_database(url)
            run_migrations(svc.service_dir, url)
            urls[svc.name] = url
            console.print(f"[green]✓[/] {svc.name} 数据库已迁移到最新（{url.split('://')[0]}）")
        return urls

    def spawn(self, svc: ServiceDef, env: dict[str, str]) -> None:
        """Start one service under uvicorn."""
        port = port_of(svc)
        cmd = [sys.executable, "-m", "uvicorn", svc.module, "--factory", "--host", self.host, "--port", str(port),
               "--no-access-log", "--timeout-graceful-shutdown", "5"]
        child = Child(svc.name, cmd, env, self.logs / f"{svc.name}.log", port)
        child.start()
        self.children.append(child)
        self.metrics.up.labels(svc.name).set(1)
        self.metrics.restarts.labels(svc.name)  # a 0 from the start, so increase() sees the first restart

    def wait_healthy(self, timeout: float = 60) -> None:
        """Block until every service answers /healthz."""
        deadline = time.monotonic() + timeout
        pending = {c.name: c for c in self.children}
        while pending and time.monotonic() < deadline:
            for name, c in list(pending.items()):
                try:
                    if httpx.get(f"http://127.0.0.1:{c.port}/healthz", timeout=1).status_code == 200:
                        console.print(f"[green]✓[/] {name} 已就绪 :{c.port}")
                        del pending[name]
                except httpx.HTTPError:
                    pass
            for c in self.children:
                if c.proc is not None and c.proc.poll() is not None:
                    raise SystemExit(f"{c.name} 启动失败（退出码 {c.proc.returncode}），详见 {c.log_path}")
            time.sleep(0.3)
        if pending:
            raise SystemExit(f"等待超时：{', '.join(pending)} 未就绪，详见 {self.logs}")

    def watch_once(self) -> None:
        """One round of supervision: restart the broker and crashed services; raise CrashLoop when one keeps dying."""
        if self.broker and self.broker.proc and self.broker.proc.poll() is not None:
            # Memory-only: a restarted broker is empty; the services notice and re-publish by themselves.
            console.print("[yellow]内嵌 broker 已退出，正在重新启动（各服务会自动补发事件）[/]")
            self.broker.start()
            self.broker_restarts += 1
            self.metrics.restarts.labels("broker").inc()
        now = monotonic()
        for c in self.children:
            code = c.exited()
            if code is not None:
                delay = c.schedule_restart(now)
                self.metrics.up.labels(c.name).set(0)
                if c.policy.looping:
                    raise CrashLoop(c)
                console.print(f"[yellow]{c.name} 意外退出（退出码 {code}），{delay:.1f} 秒后自动重启"
                              f"（60 秒内第 {len(c.policy.crashes)} 次）[/]")
            elif c.due(now):
                c.start()
                c.restarts += 1
                self.metrics.restarts.labels(c.name).inc()
                self.metrics.up.labels(c.name).set(1)
                console.print(f"[green]↻[/] {c.name} 已重新启动（累计重启 {c.restarts} 次，进程 {c.pid}）")

    def write_status(self) -> None:
        """Write what runs where, for `duban status` (atomically: readers never see half a file)."""
        path = status_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "supervisor_pid": os.getpid(), "started_at": self.started_at, "metrics_port": supervisor_port(),
            "broker": {"bootstrap": self.broker.bootstrap, "pid": self.broker.proc.pid if self.broker.proc else None,
                       "restarts": self.broker_restarts} if self.broker else None,
            "children": [{"name": c.name, "pid": c.pid, "port": c.port, "state": c.state(), "restarts": c.restarts,
                          "last_exit": c.last_exit} for c in self.children],
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False))
        tmp.replace(path)

    def stop(self) -> None:
        """SIGTERM every child at once, then SIGKILL what is left; no stray process survives."""
        for c in self.children:
            if c.pid is not None:
                os.killpg(c.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for c in self.children:
            if c.proc is None:
                continue
            try:
                c.proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(c.proc.pid, signal.SIGKILL)
                c.proc.wait()
            c.restart_at = None
        if self.broker:
            self.broker.stop()
        self.metrics.stop()
        status_file().unlink(missing_ok=True)


class CrashLoop(Exception):
    """A service crashed too often too fast; restarting it again would only hide the problem."""

    def __init__(self, child: Child) -> None:
        super().__init__(child.name)
        self.child = child


def child_env(svc: ServiceDef, bootstrap: str, urls: dict[str, str], *, demo: bool) -> dict[str, str]:
    """The environment of one service: broker, database, peers, var dir."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DUBAN_VAR_DIR": str(var_dir()), "DUBAN_RUN_MIGRATIONS": "false"}
    env.pop("DATABASE_URL", None)
    for peer in SERVICES:
        if peer.has_db:
            env[f"{peer.env_prefix}_URL"] = f"http://127.0.0.1:{port_of(peer)}"
    if svc.name in urls:
        env["DATABASE_URL"] = urls[svc.name]
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):  # the embedded broker: groups form in 3 s, not 5 (Kafka's minimum)
        env.setdefault("DUBAN_KAFKA_SESSION_TIMEOUT_MS", "6000")
    if demo:  # explicit demo mode: generated keys and the shared demo password (SECURITY.md)
        env["DUBAN_DEMO"] = "true"
    if svc.name == "task-svc" and demo:
        env["DUBAN_DEMO_DIRECTORY"] = "true"
    return env


def up(*, demo: bool = True) -> None:
    """Run the stack until Ctrl-C or SIGTERM; heal crashed services; give up only on a crash loop."""
    stack = Stack()
    stack.logs.mkdir(parents=True, exist_ok=True)
    stack.preflight()
    if demo:
        ensure_keypair(var_dir() / "keys")
    _console()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    code = 0
    try:
        stack.metrics.serve(supervisor_port())
        bootstrap = stack.start_broker()
        urls = stack.migrate()
        for svc in SERVICES:
            stack.spawn(svc, child_env(svc, bootstrap, urls, demo=demo))
        stack.wait_healthy()
        stack.write_status()
        _banner(demo)
        while True:
            stack.watch_once()
            stack.write_status()
            time.sleep(0.5)
    except CrashLoop as loop:
        c = loop.child
        console.print(f"[red]{c.name} 在 {c.policy.window:.0f} 秒内崩溃了 {len(c.policy.crashes)} 次（最后退出码 {c.last_exit}），"
                      f"判定为崩溃循环，不再重启，正在停止全部服务。请查看日志 {c.log_path}[/]")
        code = 3
    except KeyboardInterrupt:
        console.print("\n正在停止……")
    finally:
        # A second Ctrl-C (or SIGTERM) while stopping must not cut the stop short and strand children.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        console.print("已全部停止。")
    if code:
        raise SystemExit(code)


def _console() -> None:
    """Build the web console when its sources changed; a failed build leaves the API running."""
    from duban.console import ConsoleBuildError, build, is_current

    if is_current():
        return
    console.print("[cyan]控制台[/]: 源文件有变化，正在构建（npm ci + vite build，首次约一两分钟）……")
    try:
        build()
        console.print("[cyan]控制台[/]: 构建完成")
    except ConsoleBuildError as exc:
        console.print(f"[red]控制台构建失败，网页将显示“尚未构建”，接口照常可用[/]\n{exc}")


def _banner(demo: bool) -> None:
    console.rule("[bold]督办 duban 已启动" + ("（演示模式）" if demo else ""))
    console.print(f"控制台与 API：[bold cyan]http://localhost:{port_base()}[/]   （Ctrl-C 停止；duban status 查看状态）")
    if demo:
        console.print("演示账号（密码均为 [bold]demo[/]，仅演示模式可用）：")
        for user, what in DEMO_ACCOUNTS:
            console.print(f"  {user:<14} {what}")
    console.print(f"日志：{var_dir() / 'logs'}")


def default_logs() -> Path:
    """Where service logs go."""
    return var_dir() / "logs"
