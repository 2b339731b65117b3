"""Text of a .docx with python-docx: paragraphs and tables in document order, Word list numbers restored."""

from __future__ import annotations

import io
import re
from typing import Any

from plan_svc.parsing.errors import PlanParseError
from plan_svc.parsing.guards import check_zip
from plan_svc.parsing.numerals import int_to_cn

_CN_FORMATS = {"chineseCounting", "chineseCountingThousand", "ideographTraditional", "japaneseCounting", "taiwaneseCounting"}


class _Numbering:
    """Word's automatic list numbers, which python-docx leaves out of paragraph text."""

    def __init__(self, doc: Any) -> None:
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}
        self.counters: dict[str, list[int]] = {}
        try:
            self._read(doc.part.numbering_part.element)
        except (AttributeError, KeyError, ValueError, TypeError, NotImplementedError):
            self.levels = {}  # odd numbering definitions: the text is still read, only without list numbers

    def _read(self, root: Any) -> None:
        w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for an in root.iter(f"{w}abstractNum"):
            lv: dict[int, tuple[str, str, int]] = {}
            for lvl in an.iter(f"{w}lvl"):
                fmt = lvl.find(f"{w}numFmt")
                txt = lvl.find(f"{w}lvlText")
                start = lvl.find(f"{w}start")
                lv[int(lvl.get(f"{w}ilvl", "0"))] = (
                    fmt.get(f"{w}val", "decimal") if fmt is not None else "decimal",
                    txt.get(f"{w}val", "") if txt is not None else "",
                    int(start.get(f"{w}val", "1")) if start is not None else 1,
                )
            abstract[an.get(f"{w}abstractNumId", "")] = lv
        for num in root.iter(f"{w}num"):
            ref = num.find(f"{w}abstractNumId")
            if ref is None:
                continue
            for ilvl, spec in abstract.get(ref.get(f"{w}val", ""), {}).items():
                self.levels[(num.get(f"{w}numId", ""), ilvl)] = spec

    def label(self, paragraph: Any) -> str:
        """The number Word would print before this paragraph, or ''."""
        num_pr = _num_pr(paragraph)
        if num_pr is None or num_pr.numId is None:
            return ""
        num_id = str(num_pr.numId.val)
        ilvl = int(num_pr.ilvl.val) if num_pr.ilvl is not None else 0
        spec = self.levels.get((num_id, ilvl))
        if spec is None or spec[0] in ("bullet", "none") or ilvl > 8:
            return ""
        counts = self.counters.setdefault(num_id, [0] * 9)
        counts[ilvl] = counts[ilvl] + 1 if counts[ilvl] else spec[2]
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0

        def render(m: re.Match[str]) -> str:
            lvl = int(m.group(1)) - 1
            fmt = self.levels.get((num_id, lvl), ("decimal", "", 1))[0]
            value = counts[lvl] or 1
            return int_to_cn(value) if fmt in _CN_FORMATS else str(value)

        return re.sub(r"%([1-9])", render, spec[1])


def _num_pr(paragraph: Any) -> Any:
    """The paragraph's list numbering, set on the paragraph itself or inherited from its style."""
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return ppr.numPr
    try:
        style = paragraph.style
    except (KeyError, ValueError, AttributeError):  # a broken style reference only means no inherited numbering
        return None
    for _ in range(10):
        if style is None:
            break
        sppr = style.element.pPr
        if sppr is not None and sppr.numPr is not None:
            return sppr.numPr
        style = style.base_style
    return None


def docx_text(data: bytes) -> str:
    """Paragraph and table text in order; each table cell on its own line(s), merged cells once."""
    from docx import Document

    check_zip(data)
    try:
        doc = Document(io.BytesIO(data))
    except MemoryError:
        raise  # the sandbox turns it into document_too_complex; it is not a damaged file
    except Exception as exc:
        if "memory" in str(exc).lower():
            raise MemoryError(str(exc)) from exc  # lxml reports its failed allocations as parse errors  # python-docx raises zip, xml and key errors for damaged files
        raise PlanParseError("corrupt_file", "Word 文件已损坏或不是 .docx 格式，请用 Word/WPS 另存为 .docx 后再上传") from exc
    try:
        lines = _lines(doc)
    except MemoryError:
        raise  # the sandbox turns it into document_too_complex; it is not a damaged file
    except Exception as exc:  # damaged XML inside a valid zip surfaces as many error types
        raise PlanParseError("corrupt_file", "Word 文件内容已损坏，无法读取，请用 Word/WPS 另存为 .docx 后再上传") from exc
    text = "\n".join(lines)
    if not text.strip():
        raise PlanParseError("image_only", "Word 文件中没有文字（可能只有图片），请上传含文字的文档")
    return text


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _box_lines(p_el: Any) -> list[str]:
    """Text of the text boxes anchored in a paragraph (once: Word keeps a VML fallback copy of each box)."""
    out: list[str] = []
    for box in p_el.iter(f"{_W}txbxContent"):
        if any(a.tag == _FALLBACK for a in box.iterancestors()):
            continue
        for par in box.iter(f"{_W}p"):
            text = "".join(t.text or "" for t in par.iter(f"{_W}t"))
            if text.strip():
                out.append(text)
    return out


def _block_lines(parent: Any, container: Any, numbering: _Numbering) -> list[str]:
    """Paragraphs, text boxes and (nested) tables of a body, cell, header or footer, in order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for el in container.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if tag == "p":
            p = Paragraph(el, parent)
            lines.append(numbering.label(p) + p.text)
            lines.extend(_box_lines(el))
        elif tag == "tbl":
            for row in Table(el, parent).rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    lines.extend(x for x in _block_lines(cell, cell._tc, numbering) if x.strip())
        elif tag == "sdt":
            content = el.find(f"{_W}sdtContent")
            if content is not None:
                lines.extend(_block_lines(parent, content, numbering))
    return lines


def _header_lines(doc: Any, numbering: _Numbering) -> list[str]:
    """Distinct lines of the page headers (a plan title or issuer is sometimes only there)."""
    out: list[str] = []
    for section in doc.sections:
        for header in (section.header, section.first_page_header):
            try:
                if header.is_linked_to_previous:
                    continue
                lines = _block_lines(header, header._element, numbering)
            except (AttributeError, KeyError, ValueError):  # a header part that is missing or odd holds no plan text
                continue
            out.extend(x for x in lines if x.strip() and x not in out)
    return out


def _lines(doc: Any) -> list[str]:
    """Header lines, then paragraph, text box and table cell lines in document order."""
    numbering = _Numbering(doc)
    body = _block_lines(doc, doc.element.body, numbering)
    head = [x for x in _header_lines(doc, numbering) if x not in body]
    return head + body
