"""`duban plan score DIR TRUTH.json`: parse quality over a corpus of documents with hand-written truth."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

_LABELS = {
    "section_recall": "部分召回", "section_precision": "部分精确", "item_recall": "条目召回", "item_precision": "条目精确",
    "unit_accuracy": "单位准确", "indicator_recall": "指标召回", "deadline_recall": "时限召回", "group_accuracy": "分组准确",
}


def register(plan_app: typer.Typer) -> None:
    """Add the `score` command to `duban plan`."""

    @plan_app.command("score")
    def plan_score(
        directory: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="文档目录")],
        truth: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="标准答案 TRUTH.json")],
        as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
        misses: Annotated[bool, typer.Option("--misses", help="列出每一处不一致")] = False,
    ) -> None:
        """按标准答案评估解析质量：部分和条目的召回率、精确率，单位准确率，指标和时限召回率。"""
        from plan_svc.parsing.score import score_corpus

        per, total = score_corpus(directory, truth)
        if as_json:
            out = {"documents": {n: s.ratios() for n, s in per.items()}, "total": total.ratios(), "misses": total.misses}
            sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
            return
        console = Console(width=160)
        table = Table("文档", *_LABELS.values())
        for name, sc in [*per.items(), ("合计", total)]:
            r = sc.ratios()
            table.add_row(name, *(f"{r[k]:.1%}" for k in _LABELS))
        console.print(table)
        console.print(f"部分 {total.sections_hit}/{total.sections_true}（识别出 {total.sections_found}），"
                      f"条目 {total.items_hit}/{total.items_true}（识别出 {total.items_found}），"
                      f"指标 {total.indicators_hit}/{total.indicators_true}，时限 {total.deadlines_hit}/{total.deadlines_true}")
        if misses:
            for m in total.misses:
                console.print(f"  · {m}")
