"""The `duban` command."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from duban import opscli as _ops

app = typer.Typer(help="督办 duban：教育局年度工作要点督办系统的命令行工具。", no_args_is_help=True, add_completion=False)
directory_app = typer.Typer(help="单位名录：导入、生成演示数据。", no_args_is_help=True)
events_app = typer.Typer(help="事件：重放 outbox 中的事件，查看/重排被搁置的事件。", no_args_is_help=True)
plan_app = typer.Typer(help="计划文档：解析、评估解析质量。", no_args_is_help=True)
keys_app = typer.Typer(help="密钥：JWT 与事件签名密钥。", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console_app = typer.Typer(help="网页控制台：构建。", no_args_is_help=True)
app.add_typer(console_app, name="console")
app.add_typer(directory_app, name="directory")
app.add_typer(events_app, name="events")
app.add_typer(plan_app, name="plan")
app.add_typer(_ops.dlq_app, name="dlq")
reports_app = typer.Typer(help="统计报表：重建、与任务服务核对。", no_args_is_help=True)
tasks_app = typer.Typer(help="任务：重新发布快照事件。", no_args_is_help=True)
app.add_typer(reports_app, name="reports")
app.add_typer(tasks_app, name="tasks")
console = Console()
err = Console(stderr=True)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err)


@app.command()
def up(no_demo: Annotated[bool, typer.Option("--no-demo", help="生产模式：不加载演示名录，需要 DUBAN_ADMIN_PASSWORD 和 `duban keys init`")] = False) -> None:
    """启动整个系统（make run 调用它）：broker、迁移、四个服务和网关；缺省为演示模式。"""
    from duban.supervisor import up as run_up

    run_up(demo=not no_demo)


@console_app.command("build")
def console_build(force: Annotated[bool, typer.Option("--force", help="源文件未变也重新构建")] = False) -> None:
    """构建网页控制台（npm ci + vite build；源文件未变时跳过）。"""
    from duban.console import ConsoleBuildError, build

    try:
        built = build(force=force)
    except ConsoleBuildError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print("✓ 控制台已构建" if built else "✓ 控制台已是最新，无需构建")


@app.command()
def status() -> None:
    """一屏显示各进程的健康、重启次数、消费滞后、outbox 积压和死信数（退出码 1 表示有进程未就绪）。"""
    from duban.status import render

    raise typer.Exit(render(console))


@app.command()
def monitor(
    port: Annotated[int, typer.Option(help="Prometheus 监听端口")] = 9090,
    interval: Annotated[str, typer.Option(help="抓取间隔")] = "5s",
) -> None:
    """在 duban up 旁边启动 Prometheus（make monitor）：抓取各服务与监督进程，加载告警规则。"""
    from duban.monitor import monitor as run_monitor

    run_monitor(port=port, interval=interval)


@app.command()
def migrate() -> None:
    """把每个服务的数据库迁移到最新版本。"""
    from duban.stack import DATA_SERVICES, database_url, ensure_database
    from duban_shared.db import run_migrations

    for svc in DATA_SERVICES:
        url = database_url(svc)
        ensure_database(url)
        run_migrations(svc.service_dir, url)
        console.print(f"✓ {svc.name}")


def _task_ctx():  # type: ignore[no-untyped-def]
    from duban.stack import by_name, database_url
    from duban_shared.db import Database
    from duban_shared.messaging import Outbox
    from duban_shared.settings import ServiceSettings
    from task_svc.base import TABLES

    svc = by_name("task-svc")
    url = database_url(svc)
    return Database(url), Outbox(TABLES, source="task-svc", topic_prefix=ServiceSettings().topic_prefix), svc, url


async def _upsert(records, password: str | None) -> object:  # type: ignore[no-untyped-def]
    from duban_shared.db import run_migrations
    from task_svc.directory.service import upsert_units

    db, outbox, svc, url = _task_ctx()
    await asyncio.to_thread(run_migrations, svc.service_dir, url)
    chunk = 200
    totals = {"created": 0, "updated": 0, "unchanged": 0, "accounts_created": 0}
    with _progress() as progress:
        bar = progress.add_task("写入单位", total=len(records))
        # Parents come first in `records`, so committing in chunks keeps every parent before its children.
        for i in range(0, len(records), chunk):
            async with db.sessionmaker() as session:
                s = await upsert_units(session=session, outbox=outbox, records=records[i : i + chunk], default_password=password)
                await session.commit()
            for k in totals:
                totals[k] += getattr(s, k)
            progress.advance(bar, len(records[i : i + chunk]))
    await db.dispose()
    return totals


@directory_app.command("import")
def directory_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV 或 XLSX 文件")],
    password: Annotated[str | None, typer.Option(help="新建单位账号的初始密码（仅演示用；缺省时账号需凭激活码激活）")] = None,
) -> None:
    """从 CSV / XLSX 导入单位名录（逐行报告错误；正确的行照常导入）。"""
    from task_svc.directory.importer import DirectoryFileError, read_directory_file

    db, _, _, _ = _task_ctx()

    async def _known() -> dict[str, str | None]:
        from duban.stack import by_name, database_url
        from duban_shared.db import run_migrations
        from task_svc.directory.service import known_parents

        await asyncio.to_thread(run_migrations, by_name("task-svc").service_dir, database_url(by_name("task-svc")))
        async with db.sessionmaker() as s:
            parents = await known_parents(session=s)
        await db.dispose()
        return parents

    from duban_shared.settings import ServiceSettings

    if password is not None and not ServiceSettings().demo_mode:
        err.print("[red]--password 只能在演示模式（DUBAN_DEMO=true）下使用；生产环境的单位账号凭激活码激活[/]")
        raise typer.Exit(2)
    parents = asyncio.run(_known())
    try:
        parsed = read_directory_file(file.read_bytes(), file.name, known_codes=set(parents), known_parents=parents)
    except DirectoryFileError as exc:
        err.print(f"[red]无法导入：{exc.message}[/]")
        raise typer.Exit(2) from exc
    for e in parsed.errors:
        err.print(f"[yellow]第 {e.row} 行[/]：{e.message}")
    totals = asyncio.run(_upsert(parsed.records, password))
    console.print(f"共 {parsed.total_rows} 行：新增 {totals['created']}，更新 {totals['updated']}，未变 {totals['unchanged']}，"
                  f"拒绝 {len(parsed.errors)}；新建账号 {totals['accounts_created']}")
    if parsed.errors:
        raise typer.Exit(1)


@directory_app.command("demo")
def directory_demo(
    out: Annotated[Path | None, typer.Option("--out", help="只写出到 .csv/.xlsx 文件，不写数据库")] = None,
    seed: Annotated[int, typer.Option(help="随机种子（同一种子结果相同）")] = 2026,
) -> None:
    """生成演示单位名录（1 个市局、处室、12 个区县、1500+ 所学校）并写入数据库或文件。"""
    from task_svc.directory.demo import generate_demo_directory
    from task_svc.directory.importer import write_directory_csv, write_directory_xlsx

    records = generate_demo_directory(seed)
    if out is not None:
        data = write_directory_xlsx(records) if out.suffix.lower() == ".xlsx" else write_directory_csv(records)
        out.write_bytes(data)
        console.print(f"已写出 {len(records)} 个单位到 {out}")
        return
    from duban_shared.settings import ServiceSettings

    # The shared demo password only in demo mode; elsewhere the accounts wait for activation codes.
    totals = asyncio.run(_upsert(records, "demo" if ServiceSettings().demo_mode else None))
    console.print(f"演示名录：新增 {totals['created']}，更新 {totals['updated']}，未变 {totals['unchanged']}；新建账号 {totals['accounts_created']}")


@events_app.command("replay")
def events_replay(
    since: Annotated[datetime, typer.Option("--since", help="从此时刻起（ISO 8601，如 2026-11-01T00:00:00+08:00）")],
    service: Annotated[list[str] | None, typer.Option("--service", "-s", help="只重放这些服务的事件（可多次）")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="只重放该类型，如 plan.published")] = None,
) -> None:
    """把 outbox 中 since 之后的事件重新发布（消费者按事件 id 去重，不会重复生效）。"""
    from duban.replay import replay

    when = since if since.tzinfo else since.replace(tzinfo=UTC)
    for name, count in asyncio.run(replay(when, service or None, event_type)):
        console.print(f"{name}: {count} 个事件已标记为待重新发布（服务运行时由 relay 发出）")


@events_app.command("failed")
def events_failed(
    requeue: Annotated[bool, typer.Option("--requeue", help="把列出的行放回待发布队列")] = False,
    ids: Annotated[list[str] | None, typer.Option("--id", help="只处理这些事件 id（可多次）")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="只处理该类型")] = None,
) -> None:
    """列出各服务 outbox 中无法发布而被搁置的事件（如超过 broker 大小上限）；--requeue 重新排队。"""
    _ops.events_failed(requeue, ids, event_type)


@app.command("retention")
def retention(dry_run: Annotated[bool, typer.Option("--dry-run", help="只统计，不删除")] = False) -> None:
    """立即按保留期清理各服务已发布的 outbox 行和过期 inbox 行（服务本身每小时也会做）。"""
    _ops.retention(dry_run)


@app.command()
def token(
    username: Annotated[str, typer.Argument(help="账号，如 admin 或单位编码")] = "admin",
    ttl: Annotated[int, typer.Option(help="有效期（秒）")] = 3600,
) -> None:
    """为已有账号签发访问令牌（内置身份模式），用于脚本调用 API。"""
    from duban.tokens import issue_for

    try:
        print(asyncio.run(issue_for(username, ttl)))
    except LookupError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc


@keys_app.command("init")
def keys_init(
    out: Annotated[Path | None, typer.Option("--dir", help="密钥目录（缺省为 $DUBAN_VAR_DIR/keys）")] = None,
) -> None:
    """生成 JWT 签名密钥对和各服务的事件签名密钥（已存在的不覆盖）；生产模式启动前运行一次。"""
    from duban.stack import var_dir
    from duban_shared.auth import ensure_keypair
    from duban_shared.messaging.signing import TOPIC_OWNERS, ensure_event_key

    keys = out or var_dir() / "keys"
    ensure_keypair(keys)
    for svc in sorted(set(TOPIC_OWNERS.values())):
        ensure_event_key(keys, svc)
    console.print(f"密钥已就绪：{keys}（jwt-private.pem 只给 task-svc；events/<服务>.key 只给该服务；*.pub 给所有服务）")


@plan_app.command("parse")
def plan_parse(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".txt / .docx / .pdf 计划文档")],
    table: Annotated[bool, typer.Option("--table", help="以大纲形式输出")] = False,
) -> None:
    """解析计划文档，输出草稿 JSON（或 --table 大纲）。"""
    from plan_svc.parsing import PlanParseError, parse_plan_file

    try:
        draft = parse_plan_file(file.read_bytes(), file.name)
    except PlanParseError as exc:
        err.print(f"[red]无法解析：{exc.message}[/]（{exc.code}）")
        raise typer.Exit(2) from exc
    if table:
        from duban.outline import print_outline

        print_outline(draft, console)
    else:
        sys.stdout.write(json.dumps(draft, ensure_ascii=False, indent=2) + "\n")


from duban.plan_score import register as _register_score

_register_score(plan_app)

GATEWAY = "http://127.0.0.1:8000"
UrlOpt = Annotated[str, typer.Option("--url", help="网关或服务地址")]
PlanOpt = Annotated[str | None, typer.Option("--plan", help="只处理这个计划（默认全部）")]


def _admin_headers() -> dict[str, str]:
    from duban.tokens import issue_for

    try:
        return {"Authorization": f"Bearer {asyncio.run(issue_for('admin', 900))}"}
    except LookupError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc


def _call(coro) -> object:  # type: ignore[no-untyped-def]
    import httpx

    try:
        return asyncio.run(coro)
    except (RuntimeError, httpx.HTTPError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc


@reports_app.command("rebuild")
def reports_rebuild(
    plan: PlanOpt = None, url: UrlOpt = GATEWAY,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="等待重建完成并显示进度（默认等待）")] = True,
    timeout: Annotated[float, typer.Option("--timeout", help="最多等待的秒数")] = 600.0,
) -> None:
    """重建报表：报表服务以事件请任务服务重新发布任务快照，据此覆盖并清理读模型；等待完成并列出改动。"""
    import httpx

    from duban.reports import describe, request_rebuild, wait_rebuild

    headers = _admin_headers()

    async def run() -> tuple[dict[str, Any], dict[str, Any] | None]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            accepted = await request_rebuild(report=client, plan_id=plan, headers=headers)
            if not wait:
                return accepted, None
            with _progress() as bar:
                step = bar.add_task("已请求，等待任务服务", total=None)

                def show(s: dict[str, Any]) -> None:
                    text = s["status_text"] if s["status"] == "requested" else f"重建{s['status_text']}（已收到 {s['tasks']} 个任务）"
                    bar.update(step, description=text, total=s["parts_expected"], completed=s["parts_received"])

                return accepted, await wait_rebuild(report=client, request_id=accepted["request_id"], headers=headers,
                                                    timeout=timeout, on_progress=show)

    result: Any = _call(run())
    accepted, done = result
    if done is None:
        console.print(f"已请求重建：{accepted['request_id']}（`GET /api/reports/rebuild/{accepted['request_id']}` 查看进度）")
        return
    console.print(describe(done))


@reports_app.command("check")
def reports_check(plan: Annotated[str, typer.Option("--plan", help="计划 id")], url: UrlOpt = GATEWAY) -> None:
    """核对报表服务与任务服务的任务数（按区县、层级、状态），列出每一处不一致。"""
    from duban.reports import check_url

    diffs = _call(check_url(task_url=url, report_url=url, plan_id=plan, headers=_admin_headers()))
    if not diffs:
        console.print("✓ 报表与任务服务一致")
        return
    for d in diffs:  # type: ignore[attr-defined]
        console.print(f"区县 {d['district_id'] or '（无）'} · {d['level']} · {d['status']}：任务服务 {d['task_svc']}，报表 {d['report_svc']}")
    raise typer.Exit(1)


@tasks_app.command("resnapshot")
def tasks_resnapshot(plan: PlanOpt = None, url: UrlOpt = GATEWAY) -> None:
    """按当前状态重新发布任务快照事件（tasks.snapshotted），供读模型重建。"""
    from duban.reports import post

    res = _call(post(url=url, path="/api/tasks/resnapshot", headers=_admin_headers(), body={"plan_id": plan}))
    console.print(f"快照 {res['snapshot_id']}：{res['tasks']} 个任务，{res['parts']} 批")  # type: ignore[index]


def main() -> None:
    """Entry point of the `duban` script."""
    app()
