"""Benchmark: parsing a 35 KB plan, against the raw cost of reading the same text (decode + split + one regex pass)."""

from __future__ import annotations

import io
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "services" / "plan-svc" / "tests" / "data" / "seeds"
_MARKERS = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\s*[.、])", re.MULTILINE)
_ITEM = re.compile(r"^（[一二三四五六七八九十]+）(.+)$", re.MULTILINE)


def _median(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm caches and compiled regexes
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def plan_text(size: int = 35 * 1024) -> str:
    """A real-looking plan of about `size` UTF-8 bytes: the seed plan's items, renumbered, over more sections."""
    from plan_svc.parsing.numerals import int_to_cn

    bodies = _ITEM.findall((SEEDS / "000_713af2f0a2fc664b.txt").read_text("utf-8"))
    out = ["某市教育局2024年工作要点", "2024年是关键之年，全市教育系统要坚持立德树人，办好人民满意的教育。"]
    n = 0
    while len("\n".join(out).encode()) < size:
        if n % 3 == 0:
            out.append(f"{int_to_cn(n // 3 + 1)}、加强第{n // 3 + 1}方面的工作")
        out.append(f"（{int_to_cn(n + 1)}）{bodies[n % len(bodies)]}（牵头处室：基教处。责任处室：职教处、财务处）")
        n += 1
    return "\n".join(out)


def _raw(data: bytes, encoding: str) -> Callable[[], Any]:
    def go() -> int:
        text = data.decode(encoding)
        lines = text.splitlines()
        return len(lines) + len(_MARKERS.findall(text))
    return go


def run() -> list[dict[str, Any]]:
    """Rows of {name, value (s), raw (s), ratio}; raw is the same run's decode + splitlines + one regex pass."""
    from plan_svc.parsing import parse_plan_file, parse_plan_text

    text = plan_text()
    data = text.encode("utf-8")
    gb = text.encode("gb18030")
    kb = len(data) // 1024
    rows = []
    text_raw = "decode + splitlines + one compiled-regex pass over the same bytes"
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any], str]] = [
        (f"parse {kb}KB plan", lambda: parse_plan_text(text), _raw(data, "utf-8"), text_raw),
        (f"parse {kb}KB plan (.txt GB18030 bytes)", lambda: parse_plan_file(gb, "plan.txt"), _raw(gb, "gb18030"), text_raw),
    ]
    seed = (SEEDS / "004_f39552d3b4a69c72.txt").read_bytes()
    cases.append((f"parse {len(seed) // 1024}KB scraped seed with login wall", lambda: parse_plan_file(seed, "seed.txt"), _raw(seed, "utf-8"), text_raw))
    docx_bytes = _docx(text)
    cases.append((f"parse {kb}KB plan (.docx)", lambda: parse_plan_file(docx_bytes, "plan.docx"), _docx_raw(docx_bytes),
                  "python-docx open + paragraph text + one regex pass"))
    for name, fn, raw_fn, what in cases:
        value = _median(fn, 15)
        raw = _median(raw_fn, 15)
        rows.append({"name": name, "value": value, "raw": raw, "ratio": value / raw if raw else float("inf"), "unit": "s", "raw_what": what})
    return rows


def _docx(text: str) -> bytes:
    import docx

    d = docx.Document()
    for line in text.splitlines():
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _docx_raw(data: bytes) -> Callable[[], Any]:
    """Raw limit for .docx: python-docx opening the file and joining paragraph text, then one regex pass."""
    def go() -> int:
        import docx

        text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        return len(text.splitlines()) + len(_MARKERS.findall(text))
    return go


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "services" / "plan-svc"))
    for row in run():
        print(f"{row['name']:<48} {row['value'] * 1000:8.2f} ms   raw {row['raw'] * 1000:7.3f} ms   ratio {row['ratio']:7.1f}")
