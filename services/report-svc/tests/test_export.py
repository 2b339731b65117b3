"""The Excel export: the sheets a bureau sends upward, formatted, scoped, and safe from formula injection (issue #12)."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import date
from urllib.parse import quote

from openpyxl import load_workbook

from duban_shared.events.catalogue import (
    IndicatorSnapshot,
    PlanItemSnapshot,
    TaskProgressReported,
    UnitUpserted,
)

SHEETS = ["汇总", "市级", "区县", "学校", "分事项", "逾期", "指标", "较上次通报"]


async def _workbook(report, plan_id: str, headers=None):  # type: ignore[no-untyped-def]
    r = await report.get(f"/api/reports/plans/{plan_id}/export.xlsx", headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return r, load_workbook(io.BytesIO(r.content))


def _rows(ws) -> list[list[object]]:  # type: ignore[no-untyped-def]
    return [list(row) for row in ws.iter_rows(min_row=2, values_only=True)]


async def test_export_workbook(report, scenario) -> None:
    """Every sheet with Chinese headers, a frozen header row, widths, percentages as %, dates as dates."""
    await report.client.post(f"/api/reports/plans/{scenario.plan_id}/snapshots", json={"label": "上期"}, headers=report.city)
    r, wb = await _workbook(report, scenario.plan_id)
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=\"plan-")
    assert f"filename*=UTF-8''{quote('明州市教育局2026年工作要点-统计报表.xlsx', safe='')}" in disposition
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb.endswith("1F4E78")
        assert ws.column_dimensions["A"].width >= 8 and ws.column_dimensions["B"].width >= 8
    summary = wb["汇总"]
    assert [c.value for c in summary[1]][:7] == ["统计范围", "任务数", "已签收", "已提交", "已完成", "逾期", "完成率"]
    assert _rows(summary)[:4] == [
        ["合计", 5, 3, 1, 1, 2, 0.2, 0, 0.02, 0.07], ["市级", 1, 0, 0, 0, 1, 0, 0, None, None],
        ["区县级", 2, 2, 1, 1, 0, 0.5, 0, 0.02, 0.07], ["学校级", 2, 1, 0, 0, 1, 0, 0, 0.02, None],
    ]
    assert summary["G2"].number_format == "0.0%" and summary["H2"].number_format == "0.0%"
    assert ["统计范围", "全市"] in [r[:2] for r in _rows(summary)]
    as_of = next(c for c in summary["B"] if c.row > 1 and isinstance(c.value, date) and c.offset(0, -1).value == "统计日期")
    assert as_of.number_format == "yyyy-mm-dd"
    assert [r[:3] for r in _rows(wb["区县"])] == [["D01", "海曙区教育局", 3], ["D02", "江北区教育局", 1]]
    assert [r[:2] for r in _rows(wb["学校"])] == [["D01-S1", "海曙区第一小学"], ["D01-S2", "海曙区实验中学"], ["D02-S1", "江北区中心幼儿园"]]
    assert [r[:2] for r in _rows(wb["市级"])] == [["C0-01", "基础教育处"]]
    overdue = wb["逾期"]
    assert [r[3] for r in _rows(overdue)] == ["C0-01", "D01-S1"]
    assert overdue["H2"].is_date and overdue["H2"].number_format == "yyyy-mm-dd"
    ind = _rows(wb["指标"])
    assert [(r[2], r[7], r[8]) for r in ind] == [("新建幼儿园", 17, "合计"), ("普惠性幼儿园覆盖率", 92, "按在校生数加权平均")]
    assert "Σ(比例×在校生数)" in ind[1][9]
    change = _rows(wb["较上次通报"])
    assert change[0][:5] == ["合计", 0, 0, 0, 0] and any("上期" in str(r[0]) for r in change if r[0])


async def test_district_export_is_scoped(report, scenario) -> None:
    """A district bureau's workbook holds only its own district and schools."""
    d = report.directory
    _, wb = await _workbook(report, scenario.plan_id, report.district(d.d1))
    assert wb.sheetnames == SHEETS
    assert _rows(wb["汇总"])[0][:6] == ["合计", 3, 2, 0, 0, 1]
    assert ["统计范围", "海曙区教育局"] in [r[:2] for r in _rows(wb["汇总"])]
    assert [r[1] for r in _rows(wb["区县"])] == ["海曙区教育局"]
    assert [r[0] for r in _rows(wb["学校"])] == ["D01-S1", "D01-S2"]
    assert [r[7] for r in _rows(wb["指标"])] == [5, 95]


async def test_user_text_never_becomes_a_formula(report) -> None:
    """Unit names, task titles and report notes starting with = + - @ land as text in the workbook, and quoted in CSV."""
    d = report.directory
    evil = {"=": '=HYPERLINK("http://evil.example","点我")', "+": "+1+cmd|' /C calc'!A0", "-": "-2+3", "@": "@SUM(1,1)"}
    await report.publish_all([UnitUpserted(id=d.s1a, code="D01-S1", name=evil["="], kind="school", parent_id=d.d1, school_type="primary")])
    plan_id, item, k = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    ref = report.task(plan_id, "school", d.s1a, d.d1, item)
    await report.publish_all([
        report.plan(plan_id, [PlanItemSnapshot(id=item, position=0, number=evil["-"], title=evil["+"],
                                               indicators=[IndicatorSnapshot(id=k, name=evil["@"], target=1, unit="个")])], title="=cmd()"),
        report.batch(plan_id, item, None, [ref], {ref.id: report.past}, report.at(1), title=evil["@"]),
        ref.event(TaskProgressReported, "in_progress", report.at(2), percent=10, note=evil["+"], indicator_values=[{"indicator_id": k, "value": 1}]),
    ])
    r = await report.get(f"/api/reports/plans/{plan_id}/export.xlsx")
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(name).decode("utf-8"), name
    wb = load_workbook(io.BytesIO(r.content))
    texts = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert {c.value for c in texts} >= {evil["="], evil["+"], evil["-"], evil["@"]}
    assert all(c.data_type == "s" for c in texts)
    schools = (await report.get(f"/api/reports/plans/{plan_id}/schools.csv")).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in schools and ",=HYPERLINK" not in schools
    overdue = (await report.get(f"/api/reports/plans/{plan_id}/overdue.csv")).content.decode("utf-8-sig")
    assert "'-2+3" in overdue and "'@SUM(1,1)" in overdue
