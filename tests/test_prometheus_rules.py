"""The alert rules pass `promtool check rules`, and `promtool test rules` fires every alert at least once."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from duban.monitor import ensure_prometheus

PROM = Path(__file__).resolve().parents[1] / "deploy" / "prometheus"


def promtool() -> str:
    """promtool from Debian's prometheus package, installed when missing."""
    ensure_prometheus()
    found = shutil.which("promtool")
    assert found, "the prometheus package ships promtool"
    return found


def test_promtool_checks_the_rules() -> None:
    r = subprocess.run([promtool(), "check", "rules", str(PROM / "alerts.yml")], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


def test_promtool_unit_tests_pass_and_cover_every_alert() -> None:
    r = subprocess.run([promtool(), "test", "rules", "alerts.test.yml"], cwd=PROM, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    alerts = {rule["alert"] for g in yaml.safe_load((PROM / "alerts.yml").read_text(encoding="utf-8"))["groups"] for rule in g["rules"]}
    fired = {t["alertname"] for case in yaml.safe_load((PROM / "alerts.test.yml").read_text(encoding="utf-8"))["tests"]
             for t in case["alert_rule_test"] if t.get("exp_alerts")}
    assert alerts == fired, f"alerts without a firing unit test: {alerts - fired}"


def test_a_broken_unit_test_fails(tmp_path: Path) -> None:
    """promtool really compares: a wrong expectation is reported."""
    broken = (PROM / "alerts.test.yml").read_text(encoding="utf-8").replace("task-svc 不可达（task-svc:8002）", "task-svc 不可达（别处）")
    (tmp_path / "alerts.yml").write_text((PROM / "alerts.yml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "t.yml").write_text(broken, encoding="utf-8")
    r = subprocess.run([promtool(), "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert r.returncode != 0 and "DubanServiceDown" in r.stdout + r.stderr
