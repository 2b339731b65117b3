"""The Excel export a bureau sends upward: 汇总, 市级, 区县, 学校, 分事项, 逾期, 指标, 较上次通报.

Every string cell is written as text (data type 's'), so a unit or task title starting with = + - @
can never run as a formula in Excel (issue #12).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel.ext.asyncio.session import AsyncSession

from duban_shared.clock import SHANGHAI
from duban_shared.db import Database
from report_svc.reports import board as boards
from report_svc.reports import indicators, tables
from report_svc.reports.access import Scope
from report_svc.units.models import Unit

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
PERCENT, DATE, DATETIME = "0.0%", "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
RATE_HEADERS = {"完成率", "按期完成率", "达成度", "按期完成率/指标达成度", "完成率变化", "按期完成率变化"}
DATE_HEADERS = {"截止日期"}
DATETIME_HEADERS = {"签收时间", "提交时间", "最近填报时间"}


@dataclass(frozen=True)
class ExportData:
    """Everything the workbook shows."""

    summary: dict[str, Any]
    indicators: dict[str, Any]
    overdue: dict[str, Any]
    scope_label: str


def _value(header: str, v: Any) -> Any:
    if v is None:
        return None
    if header in DATE_HEADERS and isinstance(v, str):
        return date.fromisoformat(v)
    if header in DATETIME_HEADERS and isinstance(v, str):
        return datetime.fromisoformat(v).astimezone(SHANGHAI).replace(tzinfo=None)
    return v


def put(ws: Worksheet, row: int, col: int, value: Any) -> Any:
    """Write one cell; strings always as text, never as a formula."""
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def write_table(ws: Worksheet, headers: list[str], rows: list[list[Any]], widths: dict[str, int] | None = None, start: int = 1) -> int:
    """A styled table with a frozen header row; returns the next free row."""
    for col, h in enumerate(headers, start=1):
        c = put(ws, start, col, h)
        c.font, c.fill, c.border = _HEADER_FONT, _HEADER_FILL, _BORDER
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        width = (widths or {}).get(h) or max(8, min(40, 2 * len(h) + 2))
        ws.column_dimensions[c.column_letter].width = max(ws.column_dimensions[c.column_letter].width or 0, width)
    if start == 1:
        ws.freeze_panes = "A2"
        ws.row_dimensions[1].height = 24
    r = start
    for r, row in enumerate(rows, start=start + 1):
        for col, (h, v) in enumerate(zip(headers, row, strict=False), start=1):
            c = put(ws, r, col, _value(h, v))
            c.border = _BORDER
            if h in RATE_HEADERS:
                c.number_format = PERCENT
            elif h in DATE_HEADERS:
                c.number_format = DATE
            elif h in DATETIME_HEADERS:
                c.number_format = DATETIME
    return r + 1


WIDE = {"单位": 30, "事项": 40, "任务": 40, "承办单位": 30, "区县": 20, "指标": 30, "计算过程": 60, "最近填报说明": 40, "范围": 20}


def _summary_sheet(ws: Worksheet, data: ExportData) -> None:
    s = data.summary
    nxt = write_table(ws, *tables.summary_rows(s), WIDE)
    for label, value in (("计划", s["title"]), ("年度", s["year"]), ("版本", s["version"]), ("统计日期", date.fromisoformat(s["as_of"])),
                         ("统计范围", data.scope_label)):
        put(ws, nxt + 1, 1, label).font = Font(bold=True)
        c = put(ws, nxt + 1, 2, value)
        if isinstance(value, date):
            c.number_format = DATE
        nxt += 1


def render_workbook(data: ExportData) -> bytes:
    """The workbook as .xlsx bytes (CPU-bound: call it in a thread)."""
    s = data.summary
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    _summary_sheet(ws, data)
    sheets = [
        ("市级", tables.unit_rows(s["by_department"])), ("区县", tables.unit_rows(s["by_district"])), ("学校", tables.unit_rows(s["by_school"])),
        ("分事项", tables.item_rows(s)), ("逾期", tables.overdue_rows(data.overdue)), ("指标", tables.indicator_rows(data.indicators)),
        ("较上次通报", tables.change_rows(s)),
    ]
    for title, (headers, rows) in sheets:
        sheet = wb.create_sheet(title)
        write_table(sheet, headers, rows, WIDE)
        if rows:
            sheet.auto_filter.ref = sheet.dimensions
    if s.get("since_snapshot"):
        snap = s["since_snapshot"]["snapshot"]
        sheet = wb["较上次通报"]
        put(sheet, sheet.max_row + 2, 1, f"对比快照：{snap['label']}（{snap['as_of']}）")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def content_disposition(title: str, plan_id: str) -> str:
    """attachment with an ASCII fallback and the Chinese name per RFC 5987 (filename*=UTF-8'')."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", title).strip(" ._") or plan_id
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", f"plan-{plan_id}-report.xlsx")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(f'{name}-统计报表.xlsx', safe='')}"


async def export_data(*, db: Database, session: AsyncSession, plan_id: str, scope: Scope) -> ExportData:
    """Gather the summary (with change), indicators and overdue list of one plan within the scope."""
    s = await tables.summary_with_change(db=db, session=session, plan_id=plan_id, scope=scope)
    ind = await indicators.plan_indicators(session=session, plan_id=plan_id, scope=scope)
    od = await boards.overdue(session=session, plan_id=plan_id, scope=scope, limit=100_000, offset=0)
    own = await session.get(Unit, scope.unit_id) if scope.unit_id else None
    label = "全市" if scope.everything else (own.name if own else scope.unit_id or "")
    return ExportData(summary=s, indicators=ind, overdue=od, scope_label=label)
