"""Build 11_docx_header_boxes.docx: title only in the page header, an item in a text box, items in (nested) tables.

Run from the repository root: .venv/bin/python services/plan-svc/tests/data/corpus/make_docx.py
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


if __name__ == "__main__":
    build(Path(__file__).with_name("11_docx_header_boxes.docx"))
