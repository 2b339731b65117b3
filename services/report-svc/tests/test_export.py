"""The Excel export opens with openpyxl and carries the four sheets with their rows."""

from __future__ import annotations

import io
from urllib.parse import quote

from openpyxl import load_workbook

SHEETS = ["汇总", "区县", "任务明细", "指标"]


async def _workbook(report, plan_id: str, headers=None):  # type: ignore[no-untyped-def]
    r = await report.get(f"/api/reports/plans/{plan_id}/export.xlsx", headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return r, load_workbook(io.BytesIO(r.content))


def _rows(ws) -> list[list[object]]:  # type: ignore[no-untyped-def]
    return [list(row) for row in ws.iter_rows(min_row=2, values_only=True)]


async def test_export_workbook(report, scenario) -> None:
    """City staff get every sheet, styled, with a UTF-8 file name."""
    r, wb = await _workbook(report, scenario.plan_id)
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=\"plan-")
    assert f"filename*=UTF-8''{quote('明州市教育局2026年工作要点-统计报表.xlsx', safe='')}" in disposition
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb.endswith("1F4E78")
        assert ws.column_dimensions["A"].width > 0 and ws.column_dimensions["B"].width > 0

    summary = wb["汇总"]
    assert [c.value for c in summary[1]] == ["统计范围", "任务数", "已签收", "已完成", "逾期", "已撤销", "完成率"]
    assert _rows(summary)[:4] == [["合计", 5, 3, 1, 2, 1, 0.2], ["市级", 1, 0, 0, 1, 0, 0], ["区县级", 2, 2, 1, 0, 0, 0.5], ["学校级", 2, 1, 0, 1, 1, 0]]
    assert ["计划", "明州市教育局2026年工作要点"] in [r[:2] for r in _rows(summary)]
    assert ["统计范围", "全市"] in [r[:2] for r in _rows(summary)]

    assert _rows(wb["区县"]) == [["D01", "海曙区教育局", 3, 2, 0, 1, 0, 0], ["D02", "江北区教育局", 1, 1, 1, 0, 1, 1]]

    tasks = wb["任务明细"]
    assert [c.value for c in tasks[1]][:8] == ["序号", "事项编号", "事项", "任务", "层级", "承办单位", "所属区县", "状态"]
    rows = _rows(tasks)
    assert len(rows) == 6 and [r[0] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r[4] for r in rows] == ["市级", "区县级", "区县级", "学校级", "学校级", "学校级"]
    by_unit = {r[5]: r for r in rows}
    assert by_unit["基础教育处"][7] == "待签收" and by_unit["基础教育处"][13] == "是"
    assert by_unit["江北区教育局"][7] == "已完成" and by_unit["江北区教育局"][9] == 100 and by_unit["江北区教育局"][12]
    assert by_unit["海曙区第一小学"][6] == "海曙区教育局" and by_unit["海曙区第一小学"][13] == "是"
    assert by_unit["江北区中心幼儿园"][7] == "已撤销" and by_unit["江北区中心幼儿园"][13] == "否"
    assert tasks.auto_filter.ref

    indicators = _rows(wb["指标"])
    assert [r[2:] for r in indicators] == [
        ["新建幼儿园", "不低于", 30, "所", "合计", 17, 2, "否"],
        ["普惠性幼儿园覆盖率", "不低于", 90, "%", "平均", 87.5, 2, "否"],
    ]


async def test_district_export_is_scoped(report, scenario) -> None:
    """A district bureau's workbook holds only its own district and schools."""
    d = report.directory
    _, wb = await _workbook(report, scenario.plan_id, report.district(d.d1))
    assert wb.sheetnames == SHEETS
    assert _rows(wb["汇总"])[0] == ["合计", 3, 2, 0, 1, 0, 0]
    assert ["统计范围", "海曙区教育局"] in [r[:2] for r in _rows(wb["汇总"])]
    assert [r[1] for r in _rows(wb["区县"])] == ["海曙区教育局"]
    assert sorted(r[5] for r in _rows(wb["任务明细"])) == sorted(["海曙区教育局", "海曙区第一小学", "海曙区实验中学"])
    assert [r[7] for r in _rows(wb["指标"])] == [5, 95]
