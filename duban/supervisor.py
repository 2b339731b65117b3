"""`duban up`: the whole stack in the foreground; Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console

from duban.stack import DATA_SERVICES, SERVICES, ServiceDef, database_url, ensure_database, var_dir
from duban_shared.auth import ensure_keypair
from duban_shared.db import run_migrations
from duban_shared.testing.broker import EmbeddedBroker

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


class Stack:
    """The processes of one `duban up`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.broker: EmbeddedBroker | None = None
        self.logs = var_dir() / "logs"

    def preflight(self) -> None:
        """Fail early, in words, when a port is taken."""
        ports = [s.port for s in SERVICES] + ([] if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") else [9092])
        busy = [p for p in ports if _port_busy(p)]
        if busy:
            raise SystemExit(f"端口 {', '.join(map(str, busy))} 已被占用：是否已有一个 duban 在运行？请先停止它（Ctrl-C）再启动。")

    def start_broker(self) -> str:
        """Start the embedded broker unless KAFKA_BOOTSTRAP_SERVERS points elsewhere."""
        external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if external:
            console.print(f"[cyan]Kafka[/]: {external}（外部）")
            return external
        self.broker = EmbeddedBroker(port=9092, log_path=self.logs / "broker.log").start()
        console.print("[cyan]Kafka[/]: 内嵌 Tansu broker 127.0.0.1:9092（仅内存）")
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
        log = open(self.logs / f"{svc.name}.log", "ab")  # noqa: SIM115
        cmd = [sys.executable, "-m", "uvicorn", svc.module, "--factory", "--host", self.host, "--port", str(svc.port),
               "--no-access-log", "--timeout-graceful-shutdown", "5"]
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((svc.name, proc))

    def wait_healthy(self, timeout: float = 60) -> None:
        """Block until every service answers /healthz."""
        deadline = time.monotonic() + timeout
        pending = {s.name: s for s in SERVICES}
        while pending and time.monotonic() < deadline:
            for name, s in list(pending.items()):
                try:
                    if httpx.get(f"http://127.0.0.1:{s.port}/healthz", timeout=1).status_code == 200:
                        console.print(f"[green]✓[/] {name} 已就绪 :{s.port}")
                        del pending[name]
                except httpx.HTTPError:
                    pass
            for name, p in self.procs:
                if p.poll() is not None:
                    raise SystemExit(f"{name} 启动失败（退出码 {p.returncode}），详见 {self.logs / (name + '.log')}")
            time.sleep(0.3)
        if pending:
            raise SystemExit(f"等待超时：{', '.join(pending)} 未就绪，详见 {self.logs}")

    def stop(self) -> None:
        """SIGTERM every child, then SIGKILL what is left; no stray process survives."""
        for _, p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, p in self.procs:
            try:
                p.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if self.broker:
            self.broker.stop()


def up(*, demo: bool = True) -> None:
    """Run the stack until Ctrl-C."""
    stack = Stack()
    stack.logs.mkdir(parents=True, exist_ok=True)
    stack.preflight()
    ensure_keypair(var_dir() / "keys")
    _console()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        bootstrap = stack.start_broker()
        urls = stack.migrate()
        for svc in SERVICES:
            env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DUBAN_VAR_DIR": str(var_dir()), "DUBAN_RUN_MIGRATIONS": "false"}
            env.pop("DATABASE_URL", None)
            if svc.name in urls:
                env["DATABASE_URL"] = urls[svc.name]
            if svc.name == "task-svc" and demo:
                env["DUBAN_DEMO_DIRECTORY"] = "true"
            stack.spawn(svc, env)
        stack.wait_healthy()
        _banner()
        while True:
            if stack.broker and stack.broker.proc and stack.broker.proc.poll() is not None:
                # Memory-only: a restarted broker is empty; the services notice and re-publish by themselves.
                console.print("[yellow]内嵌 broker 已退出，正在重新启动（各服务会自动补发事件）[/]")
                stack.broker.start()
            for name, p in stack.procs:
                if p.poll() is not None:
                    console.print(f"[red]{name} 意外退出（退出码 {p.returncode}），正在停止全部服务[/]")
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("\n正在停止……")
    finally:
        # A second Ctrl-C (or SIGTERM) while stopping must not cut the stop short and strand children.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        console.print("已全部停止。")


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


def _banner() -> None:
    console.rule("[bold]督办 duban 已启动")
    console.print("控制台与 API：[bold cyan]http://localhost:8000[/]   （Ctrl-C 停止）")
    console.print("演示账号（密码均为 [bold]demo[/]）：")
    for user, what in DEMO_ACCOUNTS:
        console.print(f"  {user:<14} {what}")
    console.print(f"日志：{var_dir() / 'logs'}")


def default_logs() -> Path:
    """Where service logs go."""
    return var_dir() / "logs"
