"""Reading .txt in its encodings, .docx and text .pdf; every bad input is refused with a stable code."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import docx
import pytest
from docx.shared import Pt
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from plan_svc.parsing import MAX_UPLOAD_BYTES, PlanParseError, extract_text, parse_plan_file, parse_plan_text

PLAN = ("某市教育局2024年工作要点\n一、加强党的建设\n（一）主题教育学深悟透。开展学习，覆盖率达到100%。（责任单位：组织处、各学校）\n"
        "（二）党建统领谋新创优。培育样板支部75个，年内完成。\n二、提高教育质量\n（三）推进学前教育补短提质。公办园占比不低于60%。\n")


def _titles(draft: dict[str, Any]) -> list[str]:
    return [it["title"] for s in draft["sections"] for it in s["items"]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_txt_in_each_encoding(encoding: str) -> None:
    draft = parse_plan_file(PLAN.encode(encoding), "计划.txt")
    assert draft["title"] == "某市教育局2024年工作要点"
    assert _titles(draft) == ["主题教育学深悟透", "党建统领谋新创优", "推进学前教育补短提质"]
    assert draft["sections"][0]["items"][1]["deadline"] == "2024-12-31"


def test_gb18030_only_characters_survive() -> None:
    text = PLAN.replace("组织处", "㐀㐁处")  # CJK extension A: in GB18030, not in GBK
    assert "㐀㐁处" in extract_text(text.encode("gb18030"), "a.txt")


def test_docx_paragraphs_tables_and_word_numbering() -> None:
    d = docx.Document()
    d.add_heading("某市教育局2024年工作要点", 0)
    d.add_paragraph("一、加强党的建设")
    run = d.add_paragraph().add_run("主题教育学深悟透。")
    run.bold = True
    run.font.size = Pt(14)
    d.paragraphs[-1].add_run("在全市开展学习，覆盖率达到100%。（责任单位：组织处）")
    d.add_paragraph("党建统领谋新创优。推进校长负责制。（责任单位：组织处）", style="List Number")
    d.add_paragraph("附件")
    table = d.add_table(rows=3, cols=5)
    for row, cells in enumerate([("序号", "主要工作", "工作内容", "分管领导", "牵头处室"),
                                 ("1", "主题教育", "开展主题教育，覆盖率达到100%。", "张三", "组织处"),
                                 ("2", "双减工作", "作业公示率不低于95%。", "李四", "基教处")]):
        for col, value in enumerate(cells):
            table.cell(row, col).text = value
    buf = io.BytesIO()
    d.save(buf)
    text = extract_text(buf.getvalue(), "plan.docx")
    assert "1.党建统领谋新创优。" in text  # Word's automatic list number is restored
    draft = parse_plan_file(buf.getvalue(), "plan.docx")
    assert draft["title"] == "某市教育局2024年工作要点"
    [section] = draft["sections"]
    assert [(it["number"], it["title"]) for it in section["items"]] == [("1", "党建统领谋新创优")]
    assert section["intro"].startswith("主题教育学深悟透。")  # an unnumbered paragraph before the first numbered item
    assert [(k["number"], k["title"], k["leader"], k["lead_units"]) for k in draft["key_tasks"]] == [
        (1, "主题教育", "张三", ["组织处"]), (2, "双减工作", "李四", ["基教处"])]


def _pdf(lines: list[str], font: str = "STSong-Light") -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    y = 800
    for line in lines:
        if y < 60:
            c.showPage()
            y = 800
        c.setFont(font, 11)
        c.drawString(40, y, line)
        y -= 18
    c.save()
    return buf.getvalue()


def test_text_pdf_with_chinese_and_wrapped_lines() -> None:
    lines = ["某市教育局2024年工作要点", "一、加强党的建设", "（一）主题教育学深悟透。在全市教育系统广泛开展学习贯彻活动，",
             "分层分类组织学习轮训，覆盖率达到 100% 。（责任单位：组织处、", "各学校）", "- 1 -",
             "（二）党建统领谋新创优。培育样板支部 75 个。", "二、提高教育质量", "（三）推进学前教育补短提质。公办园占比不低于60%。"]
    data = _pdf(lines * 1)
    text = extract_text(data, "plan.pdf")
    assert "主题教育学深悟透" in text and "某市教育局2024年工作要点" in text
    draft = parse_plan_file(data, "plan.pdf")
    items = [it for s in draft["sections"] for it in s["items"]]
    assert [it["title"] for it in items] == ["主题教育学深悟透", "党建统领谋新创优", "推进学前教育补短提质"]
    assert items[0]["body"] == "在全市教育系统广泛开展学习贯彻活动，分层分类组织学习轮训，覆盖率达到100%。"
    assert (items[0]["lead_units"], items[0]["supporting_units"]) == (["组织处"], ["各学校"])
    assert items[1]["indicators"][0]["target"] == 75


def test_pdf_of_many_pages() -> None:
    lines = ["某市教育局2024年工作要点"]
    for s in range(1, 4):
        lines.append(f"{'一二三'[s - 1]}、部分{s}")
        lines += [f"{n}.推进第{n}项工作。开展工作，新建学校{n}所。" for n in range((s - 1) * 30 + 1, s * 30 + 1)]
    draft = parse_plan_file(_pdf(lines), "long.pdf")
    assert [len(s["items"]) for s in draft["sections"]] == [30, 30, 30]
    assert not any("缺失" in w for w in draft["warnings"])


def test_image_only_pdf_is_refused() -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.rect(50, 50, 200, 200, fill=1)
    c.save()
    with pytest.raises(PlanParseError) as exc:
        parse_plan_file(buf.getvalue(), "scan.pdf")
    assert exc.value.code == "image_only" and "扫描件" in exc.value.message


def _zip(name: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, "data")
    return buf.getvalue()


@pytest.mark.parametrize(("data", "filename", "code"), [
    (b"", "plan.txt", "empty_file"),
    (b"  \n\r\n\t ", "plan.txt", "empty_file"),
    (b"", "plan.docx", "empty_file"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "plan.txt", "image_only"),
    (b"\xff\xd8\xff\xe0" + bytes(200), "scan.jpg", "image_only"),
    (b"anything", "photo.png", "image_only"),
    (bytes(range(256)) * 20, "plan.txt", "binary_file"),
    (b"\x00\x01\x02\x03" * 500, "plan", "binary_file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "plan.doc", "unsupported_type"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "plan.txt", "unsupported_type"),
    (PLAN.encode(), "plan.xlsx", "unsupported_type"),
    (PLAN.encode(), "plan.exe", "unsupported_type"),
    (_zip("a.txt"), "plan.zip", "unsupported_type"),
    (_zip("a.txt"), "plan.txt", "unsupported_type"),
    (b"PK\x03\x04 this is not really a zip", "plan.docx", "corrupt_file"),
    (b"just some text", "plan.docx", "corrupt_file"),
    (b"%PDF-1.4\n garbage garbage", "plan.pdf", "corrupt_file"),
    (PLAN.encode(), "plan.pdf", "corrupt_file"),
    ("今天天气很好，我们去公园散步。".encode(), "note.txt", "no_plan_structure"),
    (b"hello world, no chinese here", "note.txt", "no_plan_structure"),
])
def test_bad_inputs_are_refused_with_a_code_and_chinese_message(data: bytes, filename: str, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_SOFFICE", "/nonexistent/soffice")  # as on a server without LibreOffice (test_parse_legacy covers it)
    with pytest.raises(PlanParseError) as exc:
        parse_plan_file(data, filename)
    assert exc.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)


def test_file_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(PlanParseError) as exc:
        parse_plan_file(b"a" * (MAX_UPLOAD_BYTES + 1), "big.txt")
    assert exc.value.code == "file_too_large" and "20 MB" in exc.value.message
    assert MAX_UPLOAD_BYTES == 20 * 1024 * 1024


@pytest.mark.parametrize("text", ["", "   \n  ", "\ufeff"])
def test_empty_text_is_refused(text: str) -> None:
    with pytest.raises(PlanParseError) as exc:
        parse_plan_text(text)
    assert exc.value.code == "empty_file"


def test_text_with_only_a_title_is_refused_but_partial_plans_come_back_with_warnings() -> None:
    with pytest.raises(PlanParseError) as exc:
        parse_plan_text("某市教育局2024年工作要点\n全年工作总体平稳。")
    assert exc.value.code == "no_plan_structure"
    draft = parse_plan_text("一、只有一部分\n3.推进甲。内容。")
    assert draft["title"] == "未命名计划" and draft["warnings"]


def test_filename_gives_the_title_when_the_document_has_none() -> None:
    draft = parse_plan_file("一、加强党建\n1.推进甲。内容。\n".encode(), "2024年区教育局工作要点.txt")
    assert draft["title"] == "2024年区教育局工作要点"
    assert any("文件名" in w for w in draft["warnings"])


def test_pdf_ruled_table_comes_out_one_cell_per_line() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 10)
    y = 800
    for line in ["某市教育局2024年工作要点", "一、加强党的建设", "（一）主题教育学深悟透。开展学习。（责任单位：组织处）", "附件", "2024年重点工作任务清单"]:
        c.drawString(40, y, line)
        y -= 18
    rows = [("序号", "主要工作", "工作内容", "分管领导", "牵头处室"), ("1", "主题教育", "开展主题教育，覆盖率达到100%。", "张三", "组织处"),
            ("2", "双减工作", "作业公示率不低于95%。", "李四", "基教处")]
    xs = [40, 80, 160, 400, 470, 560]
    for r, row in enumerate(rows):
        for k, cell in enumerate(row):
            c.drawString(xs[k] + 3, y - 20 * r - 14, cell)
    for r in range(len(rows) + 1):
        c.line(xs[0], y - 20 * r, xs[-1], y - 20 * r)
    for x in xs:
        c.line(x, y, x, y - 20 * len(rows))
    c.save()
    text = extract_text(buf.getvalue(), "plan.pdf")
    assert "序号\n主要工作\n工作内容\n分管领导\n牵头处室\n1\n主题教育\n" in text
    draft = parse_plan_file(buf.getvalue(), "plan.pdf")
    assert [(k["number"], k["title"], k["body"], k["leader"], k["lead_units"]) for k in draft["key_tasks"]] == [
        (1, "主题教育", "开展主题教育，覆盖率达到100%。", "张三", ["组织处"]), (2, "双减工作", "作业公示率不低于95%。", "李四", ["基教处"])]
    assert [it["title"] for s in draft["sections"] for it in s["items"]] == ["主题教育学深悟透"]
