"""The Excel export: 汇总, 区县, 任务明细, 指标 — one styled sheet each."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.clock import SHANGHAI
from report_svc.plans.models import PlanItem
from report_svc.reports.access import Scope
from report_svc.reports.indicators import plan_indicators
from report_svc.reports.schemas import Counts, PlanIndicators, PlanSummary
from report_svc.reports.service import DONE, LEVELS, district_of, summary, task_rows, units_for

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_LABELS = {
    "assigned": "待签收", "acknowledged": "已签收", "in_progress": "推进中", "submitted": "待审核",
    "completed": "已完成", "returned": "已退回", "declined": "已撤销",
}
LEVEL_LABELS = {"city": "市级", "district": "区县级", "school": "学校级"}
COMPARATOR_LABELS = {">=": "不低于", "<=": "不高于", "=": "等于", "~": "约"}
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_RATE = "0.0%"


@dataclass(frozen=True)
class TaskLine:
    """One row of 任务明细, already resolved to names."""

    item_number: str
    item_title: str
    title: str
    level: str
    unit_name: str
    district_name: str
    status: str
    due_date: date | None
    percent: int
    acknowledged_at: datetime | None
    submitted_at: datetime | None
    completed_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class ExportData:
    """Everything the workbook shows."""

    summary: PlanSummary
    indicators: PlanIndicators
    tasks: Sequence[TaskLine]
    scope_label: str


def _local(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if at else ""


def _sheet(ws: Worksheet, headers: list[str], widths: list[int]) -> None:
    ws.append(headers)
    for col, width in enumerate(widths, start=1):
        cell = ws.cell(row=1, column=col)
        cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[cell.column_letter].width = width
    ws.row_dimensions[1].height = 22
    ws.freeze_panes = "A2"


def _count_cells(c: Counts) -> list[object]:
    return [c.tasks, c.acknowledged, c.completed, c.overdue, c.declined, c.completion_rate]


def _finish(ws: Worksheet, rate_column: int | None = None) -> None:
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for cell in row:
            cell.border = _BORDER
    if rate_column:
        for (cell,) in ws.iter_rows(min_row=2, min_col=rate_column, max_col=rate_column):
            cell.number_format = _RATE


def _summary_sheet(ws: Worksheet, data: ExportData) -> None:
    s = data.summary
    _sheet(ws, ["统计范围", "任务数", "已签收", "已完成", "逾期", "已撤销", "完成率"], [16, 10, 10, 10, 10, 10, 10])
    ws.append(["合计", *_count_cells(s.totals)])
    for level, label in LEVEL_LABELS.items():
        ws.append([label, *_count_cells(getattr(s.by_level, level))])
    _finish(ws, rate_column=7)
    ws.append([])
    for label, value in (("计划", s.title), ("年度", s.year or ""), ("版本", s.version), ("统计日期", s.as_of.isoformat()), ("统计范围", data.scope_label)):
        ws.append([label, value])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)


def _district_sheet(ws: Worksheet, data: ExportData) -> None:
    _sheet(ws, ["区县代码", "区县", "任务数", "已签收", "已完成", "逾期", "已撤销", "完成率"], [14, 24, 10, 10, 10, 10, 10, 10])
    for d in data.summary.by_district:
        ws.append([d.code, d.name or d.unit_id, *_count_cells(d)])
    _finish(ws, rate_column=8)


def _task_sheet(ws: Worksheet, data: ExportData) -> None:
    headers = ["序号", "事项编号", "事项", "任务", "层级", "承办单位", "所属区县", "状态", "截止日期", "进度(%)", "签收时间", "提交时间", "完成时间", "是否逾期"]
    _sheet(ws, headers, [7, 10, 36, 36, 9, 28, 18, 9, 12, 9, 17, 17, 17, 9])
    for n, t in enumerate(data.tasks, start=1):
        ws.append([
            n, t.item_number, t.item_title, t.title, LEVEL_LABELS.get(t.level, t.level), t.unit_name, t.district_name,
            STATUS_LABELS.get(t.status, t.status), t.due_date.isoformat() if t.due_date else "", t.percent,
            _local(t.acknowledged_at), _local(t.submitted_at), _local(t.completed_at), "是" if t.overdue else "否",
        ])
    _finish(ws)
    if data.tasks:
        ws.auto_filter.ref = ws.dimensions


def _indicator_sheet(ws: Worksheet, data: ExportData) -> None:
    headers = ["事项编号", "事项", "指标", "比较", "目标", "单位", "汇总方式", "实际", "填报任务数", "是否达标"]
    _sheet(ws, headers, [10, 36, 30, 8, 10, 8, 10, 12, 12, 10])
    met = {True: "是", False: "否", None: ""}
    for i in data.indicators.indicators:
        ws.append([
            i.item_number, i.item_title, i.name, COMPARATOR_LABELS.get(i.comparator, i.comparator), i.target, i.unit,
            "平均" if i.aggregation == "avg" else "合计", i.actual, i.reporting_tasks, met[i.met],
        ])
    _finish(ws)


def render_workbook(data: ExportData) -> bytes:
    """The workbook as .xlsx bytes (CPU-bound: call it in a thread)."""
    wb = Workbook()
    _summary_sheet(wb.active, data)
    wb.active.title = "汇总"
    for title, fill in (("区县", _district_sheet), ("任务明细", _task_sheet), ("指标", _indicator_sheet)):
        fill(wb.create_sheet(title), data)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def content_disposition(title: str, plan_id: str) -> str:
    """attachment with an ASCII fallback and the Chinese name per RFC 5987 (filename*=UTF-8'')."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", title).strip(" ._") or plan_id
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", f"plan-{plan_id}-report.xlsx")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(f'{name}-统计报表.xlsx', safe='')}"


async def export_data(*, session: AsyncSession, plan_id: str, scope: Scope) -> ExportData:
    """Gather the summary, indicators and task lines of one plan within the scope."""
    s = await summary(session=session, plan_id=plan_id, scope=scope)
    indicators = await plan_indicators(session=session, plan_id=plan_id, scope=scope)
    tasks = await task_rows(session=session, plan_id=plan_id, scope=scope)
    units = await units_for(session=session, ids=[t.unit_id for t in tasks] + [scope.district_id or ""])
    items = {i.id: i for i in (await session.exec(select(PlanItem).where(PlanItem.plan_id == plan_id))).all()}
    lines: list[tuple[tuple[object, ...], TaskLine]] = []
    for t in tasks:
        item = items.get(t.item_id or "")
        unit = units.get(t.unit_id)
        district = units.get(district_of(t.level, t.unit_id, t.issuer_unit_id, units) or "")
        line = TaskLine(
            item_number=item.number if item else "", item_title=item.title if item else "", title=t.title, level=t.level,
            unit_name=unit.name if unit else t.unit_id, district_name=district.name if district else "", status=t.status,
            due_date=t.due_date, percent=t.percent, acknowledged_at=t.acknowledged_at, submitted_at=t.submitted_at,
            completed_at=t.completed_at, overdue=t.status not in DONE and t.due_date is not None and t.due_date < s.as_of,
        )
        level_rank = LEVELS.index(t.level) if t.level in LEVELS else len(LEVELS)
        lines.append(((item.position if item else 1 << 30, level_rank, district.code if district else "", unit.code if unit else t.unit_id), line))
    lines.sort(key=lambda pair: pair[0])
    own = units.get(scope.district_id or "")
    label = "全市" if scope.everything else (own.name if own else scope.district_id or "")
    return ExportData(summary=s, indicators=indicators, tasks=[line for _, line in lines], scope_label=label)
