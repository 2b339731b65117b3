"""`duban plan parse --table`: a readable outline of a parsed plan."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def _indicators(it: dict[str, Any]) -> str:
    return "；".join(f"{i['name']}{i['comparator']}{i['target'] if i['target'] is not None else '?'}{i['unit']}" for i in it.get("indicators", []))


def print_outline(draft: dict[str, Any], console: Console) -> None:
    """Print title, sections, items with units, deadlines and indicators, then key tasks and warnings."""
    head = f"{draft.get('title')}  发文单位：{draft.get('issuer') or '—'}  年度：{draft.get('year') or '—'}"
    console.print(f"[bold]{escape(head)}[/]")
    for s in draft.get("sections", []):
        title = f"{s['number']}、{s['title']}" if s.get("number") else s["title"]
        t = Table(title=escape(title), show_lines=False, expand=True)
        for col in ("序号", "标题", "牵头", "配合", "时限", "指标"):
            t.add_column(col, overflow="fold")
        group = None
        for it in s.get("items", []):
            if it.get("group") and it["group"] != group:
                group = it["group"]
                t.add_row("", f"[bold]{escape(group)}[/]", "", "", "", "")
            when = it.get("deadline") or ""
            if when and it.get("deadline_text"):
                when += f"（{it['deadline_text']}）"
            cells = (it["number"], it["title"], "、".join(it["lead_units"]), "、".join(it["supporting_units"]), when, _indicators(it))
            t.add_row(*(escape(c) for c in cells))
        console.print(t)
    if draft.get("key_tasks"):
        t = Table(title="重点工作任务", expand=True)
        for col in ("序号", "主要工作", "分管领导", "牵头处室", "指标"):
            t.add_column(col, overflow="fold")
        for k in draft["key_tasks"]:
            t.add_row(*(escape(c) for c in (str(k["number"]), k["title"], k.get("leader") or "", "、".join(k["lead_units"]), _indicators(k))))
        console.print(t)
    for w in draft.get("warnings", []):
        console.print(f"[yellow]提示：{escape(w)}[/]")
    for c in draft.get("check_first", []):
        where = f"第{c['section']}部分第{c['number']}条" if c.get("section") else f"第{c['number']}条"
        console.print(f"[cyan]先核对：{escape(where)}“{escape(c['title'])}”（置信度 {c['confidence']:.2f}）：{escape('；'.join(c['reasons']))}[/]")
