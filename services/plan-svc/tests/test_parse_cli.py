"""`duban plan parse FILE` prints the draft as unescaped UTF-8 JSON; `--table` prints an outline."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[3]
DUBAN = ROOT / ".venv" / "bin" / "duban"
SEED = Path(__file__).resolve().parent / "data" / "seeds" / "004_f39552d3b4a69c72.txt"
SCHEMA = json.loads((ROOT / "contracts" / "plan-draft.schema.json").read_text("utf-8"))
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "160", "NO_COLOR": "1"}


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(DUBAN), "plan", "parse", *args], capture_output=True, env=ENV, timeout=120, check=False)


def test_cli_prints_the_draft_as_utf8_json() -> None:
    r = _run(str(SEED))
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")
    out = r.stdout.decode("utf-8")
    assert "市教育局2022年工作要点" in out and "\\u" not in out  # not ASCII-escaped
    draft = json.loads(out)
    jsonschema.validate(draft, SCHEMA)
    assert draft["year"] == 2022 and any("条目编号从27跳到49" in w for w in draft["warnings"])


def test_cli_table_prints_an_outline() -> None:
    r = _run(str(SEED), "--table")
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")
    out = r.stdout.decode("utf-8")
    for text in ("市教育局2022年工作要点", "一、建设区域教育中心，办好人民满意教育", "推进区域教育中心建设", "发展规划处", "提示："):
        assert text in out


def test_cli_table_shows_key_tasks(tmp_path: Path) -> None:
    plan = tmp_path / "计划[草稿].txt"
    plan.write_text("某市教育局2023年工作要点\n一、部分[甲]\n1.推进[甲]工作。内容。\n附件\n序号\n主要工作\n工作内容\n分管领导\n牵头处室\n"
                    "1\n主题教育\n开展学习。\n张三\n组织处\n", encoding="gb18030")
    r = _run(str(plan), "--table")
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")
    out = r.stdout.decode("utf-8")
    assert "重点工作任务" in out and "张三" in out and "推进[甲]工作" in out and "部分[甲]" in out


def test_cli_refuses_a_bad_file_with_its_code(tmp_path: Path) -> None:
    bad = tmp_path / "scan.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    r = _run(str(bad))
    assert r.returncode == 2 and r.stdout == b""
    err = r.stderr.decode("utf-8")
    assert "无法解析" in err and "image_only" in err
