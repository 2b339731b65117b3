"""Build the corpus's binary documents.

- 11_docx_header_boxes.docx: title only in the page header, an item in a text box, items in (nested) tables;
- 15_pdf_wrapped.pdf: a text PDF with lines wrapped mid-sentence, a running header and page numbers on each page.

Run from the repository root: .venv/bin/python services/plan-svc/tests/data/corpus/make_files.py
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.oxml import parse_xml

_BOX = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml">'
    "<mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wps:wsp><wps:txbx><w:txbxContent>{p}</w:txbxContent>"
    "</wps:txbx></wps:wsp></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>{p}"
    "</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
)


def text_box_run(text: str):  # type: ignore[no-untyped-def]
    """A run holding a text box with one paragraph, as Word writes it (DrawingML with a VML fallback)."""
    p = f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"
    return parse_xml(_BOX.format(p=p))


def build(path: Path) -> None:
    """Write the document."""
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "苍梧市教育局2024年工作要点"
    for line in ["一、提升教育教学质量", "（一）深化课程改革",
                 "1.推进新课程实施。全面实施义务教育新课程方案，开展课程实施专项视导20次。（责任处室：基础教育处）",
                 "2.加强教学研究。建设学科基地校30所。（责任处室：教研室）", "（二）加强体育美育",
                 "3.开展阳光体育运动。学生体质健康达标率达到95%以上。（责任处室：体卫艺处）"]:
        doc.add_paragraph(line)
    anchor = doc.add_paragraph()
    anchor._p.append(text_box_run("4.推进美育浸润。组建学生艺术团50个，年底前举办全市艺术节。（责任处室：体卫艺处）"))
    doc.add_paragraph("二、推进教育数字化")
    table = doc.add_table(rows=2, cols=1)
    table.cell(0, 0).text = "5.建设智慧教育平台。平台注册用户达到50万人。（责任处室：教育技术中心）"
    inner = table.cell(1, 0).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "6.开展数字素养培训。培训教师5000人次，9月底前完成。（责任处室：教师工作处）"
    doc.save(str(path))


PDF_TEXT = """苍岭县教育局2024年工作要点
一、办好公平优质的基础教育
1.推进义务教育优质均衡发展。实施城乡学校共同体建设，新增共同体学校12所，年底前完成县域义务教育优质均衡发展督导评估准备工作。（责任股室：基教股）
2.规范民办教育发展。开展民办学校年检，规范招生和收费行为，6月底前完成年检结果公示。（责任股室：民教股）
3.加强特殊教育。适龄残疾儿童义务教育入学率保持在97%以上，开展送教上门服务不少于200人次。（责任股室：基教股、特教中心）
二、建设高素质专业化教师队伍
4.加强师德师风建设。开展师德师风专题教育活动，建立师德考核负面清单制度，全年开展警示教育4次。（责任股室：人事股）
5.提升教师专业能力。组织骨干教师培训300人次，秋季学期开学前完成新教师岗前培训。（责任股室：教研室、进修学校）"""


def _wrap(text: str, width: int) -> list[str]:
    """Lines as a PDF would set them: cut every `width` characters, whatever the sentence."""
    out: list[str] = []
    for para in text.split("\n"):
        out += [para[i:i + width] for i in range(0, len(para), width)] or [""]
    return out


def build_pdf(path: Path) -> None:
    """Write the PDF: 34 characters a line, 14 lines a page, header and page number on every page."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    lines = _wrap(PDF_TEXT, 34)
    for page, start in enumerate(range(0, len(lines), 14), 1):
        c.setFont("STSong-Light", 9)
        c.drawString(40, 810, "苍岭县教育局2024年工作要点")
        c.drawString(290, 30, f"- {page} -")
        c.setFont("STSong-Light", 11)
        for k, line in enumerate(lines[start:start + 14]):
            c.drawString(40, 760 - 22 * k, line)
        c.showPage()
    c.save()


if __name__ == "__main__":
    build(Path(__file__).with_name("11_docx_header_boxes.docx"))
    build_pdf(Path(__file__).with_name("15_pdf_wrapped.pdf"))
