"""`make bench`: run every bench/bench_*.py and print each figure against its raw limit from the same run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent


def load(path: Path):  # type: ignore[no-untyped-def]
    """Import a bench module by path."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv: list[str]) -> int:
    """Run the benches named on the command line (default: all) and print one table."""
    console = Console(width=max(Console().width, 150))
    wanted = set(argv)
    table = Table(title="duban benchmarks (ratio = measured / raw limit; lower is better, 1.0 = the limit itself)")
    for col in ("bench", "measured", "raw limit", "ratio", "what the raw limit is"):
        table.add_column(col)
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        console.print(f"[cyan]running {path.name} …[/]")
        for row in load(path).run():
            unit = row.get("unit", "s")
            table.add_row(row["name"], f"{row['value']:.4g} {unit}", f"{row['raw']:.4g} {unit}", f"{row['ratio']:.2f}", row.get("raw_what", ""))
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
