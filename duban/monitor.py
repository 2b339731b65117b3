"""`duban monitor` (make monitor): a local Prometheus scraping the stack of `duban up`, with duban's alert rules.

Uses Debian's `prometheus` package (installed with apt-get when missing and running as root).
The same configuration is what tests/test_prometheus_proof.py runs against a live stack.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from duban.children import die_with_parent
from duban.stack import SERVICES, port_of, supervisor_port, var_dir

RULES = Path(__file__).resolve().parents[1] / "deploy" / "prometheus" / "alerts.yml"


def ensure_prometheus() -> str:
    """Path of the prometheus binary; installs Debian's package when missing (needs root and apt-get)."""
    found = shutil.which("prometheus")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError("没有找到 prometheus：请安装（Debian/Ubuntu：apt-get install prometheus）")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "prometheus"], check=True, env=env, capture_output=True)
    # The package starts a system service on :9090; this one runs on its own port, leave that one alone.
    found = shutil.which("prometheus")
    if not found:
        raise RuntimeError("apt-get install prometheus did not provide a prometheus binary")
    return found


def scrape_config(targets: dict[str, str], interval: str = "15s", rules: Path = RULES) -> dict:  # type: ignore[type-arg]
    """A Prometheus configuration: one job per service (named as the service, like deploy/prometheus/prometheus.yml)."""
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval, "external_labels": {"system": "duban"}},
        "rule_files": [str(rules)],
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [t]}]} for job, t in targets.items()],
    }


def local_targets(host: str = "127.0.0.1") -> dict[str, str]:
    """Where `duban up` serves /metrics: each service, and the supervisor."""
    out = {s.name: f"{host}:{port_of(s)}" for s in SERVICES}
    out["duban-supervisor"] = f"{host}:{supervisor_port()}"
    return out


@dataclass
class Prometheus:
    """A Prometheus process with its own data dir and port."""

    binary: str
    config: dict  # type: ignore[type-arg]
    workdir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Prometheus:
        """Write the config, start, wait for /-/ready."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        cfg = self.workdir / "prometheus.yml"
        cfg.write_text(json.dumps(self.config, ensure_ascii=False, indent=1), encoding="utf-8")  # YAML is a superset of JSON
        cmd = [self.binary, f"--config.file={cfg}", f"--storage.tsdb.path={self.workdir / 'data'}",
               f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"]
        with open(self.workdir / "prometheus.log", "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)  # noqa: PLW1509
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {(self.workdir / 'prometheus.log').read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/-/ready", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError("prometheus not ready")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def monitor(port: int = 9090, interval: str = "5s") -> None:
    """Run Prometheus in the foreground beside `duban up` until Ctrl-C."""
    from rich.console import Console

    console = Console()
    prom = Prometheus(ensure_prometheus(), scrape_config(local_targets(), interval), var_dir() / "prometheus", port)
    prom.start()
    console.print(f"Prometheus：[bold cyan]{prom.url}[/]（抓取 {', '.join(local_targets())}；告警规则 {RULES.name}）  Ctrl-C 停止")
    try:
        assert prom.proc is not None
        prom.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        prom.stop()
