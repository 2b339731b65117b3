"""Parse an upload in a child process with memory and CPU limits: a document bomb costs the child, never the service."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from plan_svc.parsing.errors import MAX_UPLOAD_BYTES, PlanParseError

_TOO_COMPLEX = "文件解析时占用的内存或时间超过上限（可能是压缩炸弹或异常复杂的文件），无法导入；请检查文件或另存后再上传"


def parse_upload_bytes(data: bytes, filename: str) -> dict[str, Any]:
    """The draft for an uploaded file, or for posted UTF-8 text when filename is empty."""
    from plan_svc.parsing import parse_plan_file, parse_plan_text

    if not filename:
        if len(data) > MAX_UPLOAD_BYTES:
            raise PlanParseError("file_too_large", "文件超过 20 MB，无法导入")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PlanParseError("bad_encoding", "正文不是 UTF-8 文本，请以文件方式上传") from exc
        return parse_plan_text(text)
    return parse_plan_file(data, filename)


def _limit(memory_mb: int, cpu_s: int) -> None:
    import resource

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))


def _child() -> None:
    """Entry of the child: limits first, then read stdin, parse, and write one JSON answer to stdout."""
    memory_mb, cpu_s, filename = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    _limit(memory_mb, cpu_s)
    data = sys.stdin.buffer.read()
    try:
        answer: dict[str, Any] = {"draft": parse_upload_bytes(data, filename)}
    except PlanParseError as exc:
        answer = {"error": {"code": exc.code, "message": exc.message}}
    except MemoryError:
        answer = {"error": {"code": "document_too_complex", "message": _TOO_COMPLEX}}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    sys.stdout.flush()


async def parse_isolated(data: bytes, filename: str, *, memory_mb: int, timeout_s: float) -> dict[str, Any]:
    """The draft, parsed in a limited child process; PlanParseError for bad documents and for ones over the limits."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "plan_svc.parsing.sandbox", str(memory_mb), str(max(1, int(timeout_s))), filename,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )
    try:
        out, _err = await asyncio.wait_for(proc.communicate(data), timeout_s + 5)
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise PlanParseError("document_too_complex", _TOO_COMPLEX) from exc
    try:
        answer = json.loads(out) if out else None
    except ValueError:
        answer = None
    if proc.returncode != 0 or not isinstance(answer, dict):
        # Killed by the CPU limit (SIGXCPU) or dead of the memory limit outside a catchable MemoryError.
        raise PlanParseError("document_too_complex", _TOO_COMPLEX)
    if "error" in answer:
        raise PlanParseError(answer["error"]["code"], answer["error"]["message"])
    return answer["draft"]


if __name__ == "__main__":
    _child()
