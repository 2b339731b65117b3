"""The report tables as rows with Chinese headers: shared by the CSV download and the workbook."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.db import Database
from duban_shared.errors import AppError, not_found
from report_svc.reports import board as boards
from report_svc.reports import docs, indicators, ranking
from report_svc.reports.access import Scope
from report_svc.snapshots import service as snapshots

LEVEL_LABELS = {"city": "市级", "district": "区县级", "school": "学校级"}
STATUS_LABELS = {
    "assigned": "待签收", "acknowledged": "已签收", "in_progress": "推进中", "submitted": "待审核", "completed": "已完成",
    "returned": "已退回", "declined": "已拒收", "withdrawn": "已撤回", "reassigned": "已改派",
}
COUNT_HEADERS = ["任务数", "已签收", "已提交", "已完成", "逾期", "完成率", "按期完成率", "签收中位用时(小时)", "提交中位用时(小时)"]
AGGREGATION_LABELS = {"sum": "合计", "ratio": "Σ分子/Σ分母", "weighted_mean": "按在校生数加权平均", "none": "无法汇总"}
COMPARATOR_LABELS = {">=": "不低于", "<=": "不高于", "=": "等于", "~": "约"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def count_cells(c: dict[str, Any]) -> list[Any]:
    """The counts of one slice in COUNT_HEADERS order."""
    return [c["tasks"], c["acknowledged"], c["submitted"], c["completed"], c["overdue"], c["completion_rate"], c["on_time_rate"],
            c["median_ack_hours"], c["median_submit_hours"]]


async def summary_with_change(*, db: Database, session: AsyncSession, plan_id: str, scope: Scope) -> dict[str, Any]:
    """The summary plus its change since the last snapshot."""
    return json.loads(await docs.summary_json(db=db, session=session, plan_id=plan_id, scope=scope))


def summary_rows(s: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """合计 and one row per level."""
    rows = [["合计", *count_cells(s["totals"])]] + [[LEVEL_LABELS[lv], *count_cells(c)] for lv, c in s["by_level"].items()]
    return ["统计范围", *COUNT_HEADERS], rows


def unit_rows(entries: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Districts or schools with their counts."""
    return ["代码", "单位", *COUNT_HEADERS], [[e["code"], e["name"], *count_cells(e)] for e in entries]


def item_rows(s: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Items with their counts."""
    return ["事项编号", "事项", *COUNT_HEADERS], [[i["number"], i["title"], *count_cells(i)] for i in s["by_item"]]


def board_rows(b: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The submission board."""
    headers = ["代码", "单位", "层级", "状态", "已签收", "签收时间", "已提交", "提交时间", "进度(%)", "截止日期", "逾期", "最近填报时间", "最近填报说明"]
    yes = {True: "是", False: "否"}
    rows = [[x["code"], x["name"], LEVEL_LABELS.get(x["level"], x["level"]), STATUS_LABELS.get(x["status"], x["status"]), yes[x["acknowledged"]],
             x["acknowledged_at"], yes[x["submitted"]], x["submitted_at"], x["percent"], x["due_date"], yes[x["overdue"]],
             (x["last_report"] or {}).get("at"), (x["last_report"] or {}).get("note", "")] for x in b["items"]]
    return headers, rows


def overdue_rows(o: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The overdue list."""
    headers = ["事项编号", "事项", "任务", "代码", "承办单位", "层级", "状态", "截止日期", "逾期天数", "进度(%)"]
    return headers, [[x["item_number"], x["item_title"], x["title"], x["code"], x["name"], LEVEL_LABELS.get(x["level"], x["level"]),
                      STATUS_LABELS.get(x["status"], x["status"]), x["due_date"], x["days_overdue"], x["percent"]] for x in o["items"]]


def indicator_rows(i: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Indicators with target, actual and method."""
    headers = ["事项编号", "事项", "指标", "类型", "比较", "目标", "单位", "实际", "汇总方式", "计算过程", "填报单位数", "达成度", "是否达标"]
    met = {True: "是", False: "否", None: ""}
    return headers, [[x["item_number"], x["item_title"], x["name"], "比例" if x["kind"] == "rate" else "数量", COMPARATOR_LABELS.get(x["comparator"], x["comparator"]),
                      x["target"], x["unit"], x["actual"], AGGREGATION_LABELS[x["aggregation"]], x["method"], x["reporting_units"],
                      x["attainment"], met[x["met"]]] for x in i["indicators"]]


def ranking_rows(r: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Both rankings side by side as two blocks of rows."""
    headers = ["排名方式", "名次", "代码", "区县", "按期完成率/指标达成度", "按期完成", "应完成", "完成率", "达标指标数"]
    rows = [["按期完成", e["rank"], e["code"], e["name"], e["on_time_rate"], e["on_time"], e["due"], e["completion_rate"], None] for e in r["by_on_time"]]
    rows += [["指标达成", e["rank"], e["code"], e["name"], e["attainment"], None, None, None, e["indicators_met"]] for e in r["by_indicator"]]
    return headers, rows


def change_rows(s: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The change since the last snapshot: totals, levels and districts."""
    headers = ["范围", "任务数变化", "已签收变化", "已提交变化", "已完成变化", "逾期变化", "完成率变化", "按期完成率变化"]
    ch = s.get("since_snapshot")
    if not ch:
        return headers, []
    cells = lambda c: [c["tasks"], c["acknowledged"], c["submitted"], c["completed"], c["overdue"], c["completion_rate"], c["on_time_rate"]]
    rows = [["合计", *cells(ch["totals"])]] + [[LEVEL_LABELS[lv], *cells(c)] for lv, c in ch["by_level"].items()]
    rows += [[d["name"], *cells(d)] for d in ch["by_district"]]
    return headers, rows


def safe_text(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP: prefix with a quote)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def to_csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with BOM, CRLF rows, text cells neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    for row in rows:
        w.writerow([safe_text(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


async def csv_table(*, db: Database, session: AsyncSession, plan_id: str, scope: Scope, table: str, item_id: str | None, parent_id: str | None) -> bytes:
    """One named table of the plan as CSV; 404 for a table that does not exist."""
    if table in ("summary", "districts", "schools", "items", "change"):
        s = await summary_with_change(db=db, session=session, plan_id=plan_id, scope=scope)
        pick = {"summary": lambda: summary_rows(s), "districts": lambda: unit_rows(s["by_district"]), "schools": lambda: unit_rows(s["by_school"]),
                "items": lambda: item_rows(s), "change": lambda: change_rows(s)}
        return to_csv(*pick[table]())
    if table == "board":
        if (item_id is None) == (parent_id is None):
            raise AppError(422, "validation_error", "请指定 item_id 或 parent_id 之一")
        b = await boards.board(session=session, plan_id=plan_id, scope=scope, item_id=item_id, parent_id=parent_id, limit=100_000, offset=0)
        return to_csv(*board_rows(b))
    if table == "overdue":
        return to_csv(*overdue_rows(await boards.overdue(session=session, plan_id=plan_id, scope=scope, limit=100_000, offset=0)))
    if table == "indicators":
        return to_csv(*indicator_rows(await indicators.plan_indicators(session=session, plan_id=plan_id, scope=scope)))
    if table == "ranking":
        return to_csv(*ranking_rows(await ranking.ranking(db=db, session=session, plan_id=plan_id, scope=scope)))
    if table == "snapshots":
        snaps = await snapshots.list_snapshots(session=session, plan_id=plan_id)
        return to_csv(["时间", "类型", "标题", "发布人"], [[s["taken_at"], "定期" if s["kind"] == "scheduled" else "手动", s["label"], s["taken_by"]] for s in snaps["items"]])
    raise not_found("报表")
