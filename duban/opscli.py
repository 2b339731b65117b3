"""`duban dlq …`, `duban events failed` and `duban retention`: operator tools for what did not flow."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from duban.stack import DATA_SERVICES, ServiceDef, broker_port, database_url

dlq_app = typer.Typer(help="死信：查看、重新投递（按事件 id、类型或原因）。", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _bus():  # type: ignore[no-untyped-def]
    from duban_shared.messaging import KafkaBus
    from duban_shared.settings import ServiceSettings

    s = ServiceSettings()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{broker_port()}"
    return KafkaBus(bootstrap, client_id="duban-cli", topic_prefix=s.topic_prefix, security=s.kafka_security())


async def _letters():  # type: ignore[no-untyped-def]
    from duban_shared.messaging.dlq import read_dead_letters

    bus = _bus()
    try:
        return bus, await read_dead_letters(bus)
    except Exception:
        await bus.stop()
        raise


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@dlq_app.command("list")
def dlq_list(
    event_type: Annotated[str | None, typer.Option("--type", help="只看该事件类型")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="只看该原因，如 handler_failed、invalid_payload")] = None,
    pending: Annotated[bool, typer.Option("--pending", help="只看尚未重新投递的")] = False,
) -> None:
    """列出死信：位置、事件 id、类型、原因、放弃它的消费者、时间。"""
    from duban_shared.messaging.dlq import select

    bus, letters = asyncio.run(_letters())
    asyncio.run(bus.stop())
    shown = select(letters, event_type=event_type, reason=reason, include_requeued=not pending)
    table = Table(title=f"死信（{bus.topic('dlq')}）：{len(shown)} 条")
    for col in ("位置", "事件 id", "类型", "原因", "消费者", "时间 (UTC)", "已重投", "说明"):
        table.add_column(col, no_wrap=col != "说明")
    for d in shown:
        table.add_row(d.ref, d.event_id, d.event_type, d.headers.get("dlq_reason", "?"), d.headers.get("dlq_consumer", "?"),
                      d.timestamp.strftime("%Y-%m-%d %H:%M:%S"), str(d.requeued) if d.requeued else "", _short(d.headers.get("dlq_detail", "")))
    console.print(table)


@dlq_app.command("show")
def dlq_show(ref: Annotated[str, typer.Argument(help="事件 id 或 分区:偏移（见 list 的“位置”）")]) -> None:
    """显示一条死信的全部信息（头部与原始事件）。"""
    from duban_shared.messaging.dlq import select

    bus, letters = asyncio.run(_letters())
    asyncio.run(bus.stop())
    found = select(letters, ids=[ref])
    if not found:
        err.print(f"[red]没有找到死信 {ref}[/]")
        raise typer.Exit(1)
    for d in found:
        body = d.envelope if d.envelope is not None else d.value.decode("utf-8", "replace")
        console.print_json(json.dumps({"位置": d.ref, "时间": d.timestamp.isoformat(), "已重投次数": d.requeued, "headers": d.headers,
                                       "event": body}, ensure_ascii=False, default=str))


@dlq_app.command("requeue")
def dlq_requeue(
    ids: Annotated[list[str] | None, typer.Option("--id", help="事件 id 或 分区:偏移（可多次）")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="该类型的全部死信")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="该原因的全部死信")] = None,
    again: Annotated[bool, typer.Option("--again", help="已重投过的也再投一次")] = False,
) -> None:
    """把死信原样重新发布到原主题（消费者按事件 id 去重，已处理过的不会再次生效）。"""
    from duban_shared.messaging.dlq import requeue, select

    if not (ids or event_type or reason):
        err.print("[red]请用 --id、--type 或 --reason 指定要重新投递的死信[/]")
        raise typer.Exit(2)

    async def _run() -> tuple[int, int]:
        bus, letters = await _letters()
        try:
            chosen = select(letters, ids=ids, event_type=event_type, reason=reason, include_requeued=again)
            return len(chosen), await requeue(bus, chosen)
        finally:
            await bus.stop()

    chosen, sent = asyncio.run(_run())
    console.print(f"已重新投递 {sent} 条死信（匹配 {chosen} 条；没有原文的无法重投）")
    if chosen == 0:
        raise typer.Exit(1)


@asynccontextmanager
async def _service_db(svc: ServiceDef) -> AsyncIterator[tuple[object, object]]:
    from duban_shared.db import Database

    tables = importlib.import_module(svc.module.split(".")[0] + ".base").TABLES
    db = Database(database_url(svc))
    try:
        yield db, tables
    finally:
        await db.dispose()


def events_failed(requeue_rows: bool, ids: list[str] | None, event_type: str | None) -> None:
    """List (and optionally requeue) outbox rows set aside by each service's relay."""
    from duban_shared.messaging.failed import list_failed, requeue_failed

    async def _run() -> list[tuple[str, list, int]]:  # type: ignore[type-arg]
        out = []
        for svc in DATA_SERVICES:
            async with _service_db(svc) as (db, tables):
                async with db.engine.begin() as conn:  # type: ignore[attr-defined]
                    rows = await list_failed(conn, tables, event_type)  # type: ignore[arg-type]
                    if ids:
                        rows = [r for r in rows if r.event_id in ids]
                    n = await requeue_failed(conn, tables, event_ids=[r.event_id for r in rows]) if requeue_rows and rows else 0  # type: ignore[arg-type]
            out.append((svc.name, rows, n))
        return out

    total = 0
    table = Table(title="outbox 中无法发布而被搁置的事件")
    for col in ("服务", "序号", "事件 id", "类型", "大小", "发生时间", "搁置时间", "尝试", "错误"):
        table.add_column(col, no_wrap=col != "错误")
    for name, rows, n in asyncio.run(_run()):
        total += len(rows)
        for r in rows:
            table.add_row(name, str(r.seq), r.event_id, r.type, f"{r.bytes // 1024} KB", str(r.occurred_at)[:19], str(r.failed_at)[:19],
                          str(r.attempts), _short(r.error or "", 80))
        if n:
            console.print(f"{name}：{n} 条已放回待发布队列（服务运行时由 relay 重新发布）")
    console.print(table)
    if not total:
        console.print("没有被搁置的事件。")


def retention(dry_run: bool) -> None:
    """Prune every service database now with the configured policy."""
    from duban_shared.messaging.retention import RetentionPolicy, prune
    from duban_shared.settings import ServiceSettings

    s = ServiceSettings()
    policy = RetentionPolicy.from_hours(s.outbox_retention_hours, s.inbox_retention_hours)

    async def _run() -> list[tuple[str, int, int]]:
        out = []
        for svc in DATA_SERVICES:
            async with _service_db(svc) as (db, tables):
                done = await prune(db.engine, tables, policy, dry_run=dry_run)  # type: ignore[attr-defined, arg-type]
            out.append((svc.name, done.outbox, done.inbox))
        return out

    verb = "将删除" if dry_run else "已删除"
    console.print(f"保留期：已发布的 outbox 行 {policy.outbox}，inbox（去重窗口）{policy.inbox_window}")
    for name, o, i in asyncio.run(_run()):
        console.print(f"{name}：{verb} outbox {o} 行，inbox {i} 行")
