"""`duban directory demo` and `duban directory import FILE`, run as real processes against a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from duban_shared.db import sync_url
from duban_shared.testing.databases import DatabaseFactory
from task_svc.directory.demo import generate_demo_directory
from task_svc.directory.importer import read_directory_file
from task_svc.directory.records import unit_id_for

DEMO = generate_demo_directory()
DUBAN = Path(sys.executable).parent / "duban"

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(backend: str, db_factory: DatabaseFactory, tmp_path: Path) -> tuple[Run, str, Path]:
    """A runner of `duban` with its own var dir (SQLite under it, or a fresh PostgreSQL database), and that URL."""
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TASK_SVC_DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    env.update(DUBAN_VAR_DIR=str(var), COLUMNS="240", TERM="dumb", NO_COLOR="1")
    if backend == "sqlite":
        url = f"sqlite:///{var / 'db' / 'task-svc.sqlite3'}"
    else:
        url = db_factory.new_url("task-svc")
        env["TASK_SVC_DATABASE_URL"] = url

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(DUBAN), *args], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False)

    return run, url, var


def _count(url: str, sql: str) -> int:
    eng = sa.create_engine(sync_url(url))
    try:
        with eng.connect() as c:
            return int(c.execute(sa.text(sql)).scalar_one())
    finally:
        eng.dispose()


def test_directory_demo_loads_once(cli: tuple[Run, str, Path]) -> None:
    """The demo directory lands in the database with one account per unit; a second run changes nothing."""
    run, url, _ = cli
    r = run("directory", "demo")
    assert r.returncode == 0, r.stderr
    n = len(DEMO)
    assert f"新增 {n}，更新 0，未变 0；新建账号 {n}" in r.stdout
    assert _count(url, "SELECT count(*) FROM units") == n
    assert _count(url, "SELECT count(*) FROM accounts") == n
    assert _count(url, "SELECT count(*) FROM outbox WHERE type = 'unit.upserted'") == n
    assert _count(url, f"SELECT count(*) FROM units WHERE parent_id = '{unit_id_for('haishu')}'") == sum(1 for u in DEMO if u.parent_code == "haishu")

    again = run("directory", "demo")
    assert again.returncode == 0, again.stderr
    assert f"新增 0，更新 0，未变 {n}；新建账号 0" in again.stdout
    assert _count(url, "SELECT count(*) FROM units") == n
    assert _count(url, "SELECT count(*) FROM outbox WHERE type = 'unit.upserted'") == n


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_directory_demo_out_writes_a_file_only(cli: tuple[Run, str, Path], tmp_path: Path, suffix: str) -> None:
    """`--out` writes the demo directory to a file the importer reads back whole, and touches no database."""
    run, _, var = cli
    out = tmp_path / f"demo{suffix}"
    r = run("directory", "demo", "--out", str(out))
    assert r.returncode == 0, r.stderr
    parsed = read_directory_file(out.read_bytes(), out.name, known_codes=set())
    assert parsed.errors == [] and parsed.records == DEMO
    assert not (var / "db").exists()


def test_directory_import_reports_rows_and_is_idempotent(cli: tuple[Run, str, Path], tmp_path: Path) -> None:
    """Import applies good rows (parents may already be in the database), reports bad ones by row, and re-running changes nothing."""
    run, url, _ = cli
    assert run("directory", "demo").returncode == 0
    n = len(DEMO)
    f = tmp_path / "新增学校.csv"
    f.write_bytes(("单位编码,单位名称,单位类型,上级编码,学校类型\n"
                   "haishu-p901,海曙区新城小学,学校,haishu,小学\n"
                   "haishu-k901,海曙区新城幼儿园,学校,haishu,幼儿园\n"
                   "haishu-x901,无类型学校,学校,haishu,\n"
                   "nowhere-p001,无上级学校,学校,nowhere,小学\n").encode("gbk"))
    r = run("directory", "import", str(f))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "共 4 行：新增 2，更新 0，未变 0，拒绝 2；新建账号 2" in r.stdout
    assert "第 4 行" in r.stderr and "学校必须填写学校类型" in r.stderr
    assert "第 5 行" in r.stderr and "nowhere" in r.stderr
    assert _count(url, "SELECT count(*) FROM units") == n + 2
    assert _count(url, f"SELECT count(*) FROM units WHERE id = '{unit_id_for('haishu-p901')}' AND parent_id = '{unit_id_for('haishu')}'") == 1

    again = run("directory", "import", str(f))
    assert "共 4 行：新增 0，更新 0，未变 2，拒绝 2；新建账号 0" in again.stdout
    assert _count(url, "SELECT count(*) FROM units") == n + 2
    assert _count(url, "SELECT count(*) FROM outbox WHERE type = 'unit.upserted'") == n + 2

    clean = tmp_path / "rename.csv"
    clean.write_text("code,name,kind,parent_code,school_type\nhaishu-p901,海曙区新城实验小学,school,haishu,primary\n", encoding="utf-8")
    r = run("directory", "import", str(clean))
    assert r.returncode == 0, r.stderr
    assert "共 1 行：新增 0，更新 1，未变 0，拒绝 0" in r.stdout
    assert _count(url, "SELECT count(*) FROM units WHERE name = '海曙区新城实验小学'") == 1


def test_directory_import_refuses_unreadable_files(cli: tuple[Run, str, Path], tmp_path: Path) -> None:
    """A file that cannot be read at all exits 2 with a Chinese reason and imports nothing."""
    run, url, _ = cli
    bad = tmp_path / "名录.xlsx"
    bad.write_bytes(b"this is not a workbook")
    r = run("directory", "import", str(bad))
    assert r.returncode == 2
    assert "无法导入" in r.stderr
    assert _count(url, "SELECT count(*) FROM units") == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_import_password_only_in_demo_mode(cli: tuple[Run, str, Path], tmp_path: Path) -> None:
    """Issue 12: a shared initial password for imported units is a demo convenience, refused in production."""
    run, url, _ = cli
    f = tmp_path / "units.csv"
    f.write_text("code,name,kind,parent_code\nC0,明州市教育局,city,\n", encoding="utf-8")
    r = run("directory", "import", str(f), "--password", "demo")
    assert r.returncode == 2 and "演示模式" in r.stderr
    r = run("directory", "import", str(f))
    assert r.returncode == 0, r.stderr
    assert _count(url, "SELECT count(*) FROM accounts WHERE password_hash = '!'") == 1  # waits for an activation code
