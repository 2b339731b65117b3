"""Text of a text-based PDF with pdfplumber; ruled tables come out one cell per line."""

from __future__ import annotations

import io
import logging
from typing import Any

from plan_svc.parsing.errors import PlanParseError
from plan_svc.parsing.guards import check_pdf_page

_MAX_PAGES = 300


def _table_lines(table: Any) -> list[str]:
    """A pdfplumber table flattened row by row, one cell per line (a cell's own line breaks kept)."""
    out: list[str] = []
    for row in table.extract() or []:
        for cell in row:
            if cell:
                out.extend(part for part in str(cell).splitlines() if part.strip())
    return out


def _page_text(page: Any) -> str:
    """The page's running text with each ruled table put in its place as cell lines."""
    try:
        tables = sorted(page.find_tables(), key=lambda t: t.bbox[1])
    except Exception:
        tables = []
    if not tables:
        return page.extract_text() or ""
    parts: list[str] = []
    top = page.bbox[1]
    x0, _, x1, bottom = page.bbox
    for t in tables:
        if t.bbox[1] > top:
            parts.append(page.crop((x0, top, x1, t.bbox[1])).extract_text() or "")
        parts.append("\n".join(_table_lines(t)))
        top = max(top, t.bbox[3])
    if top < bottom:
        parts.append(page.crop((x0, top, x1, bottom)).extract_text() or "")
    return "\n".join(p for p in parts if p)


def pdf_text(data: bytes) -> str:
    """All pages' text; refuses scans (no text layer) and broken or locked files."""
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = []
            for p in pdf.pages[:_MAX_PAGES]:
                check_pdf_page(p)  # before layout analysis, which is what a drawing bomb makes expensive
                pages.append(_page_text(p))
    except PlanParseError:
        raise
    except MemoryError:
        raise  # the sandbox turns it into document_too_complex; it is not a damaged file
    except Exception as exc:  # pdfminer raises many unrelated types for damaged or encrypted files
        name = type(exc).__name__
        if "Password" in name or "Encrypt" in name:
            raise PlanParseError("corrupt_file", "PDF 已加密，无法读取，请上传未加密的文件") from exc
        raise PlanParseError("corrupt_file", "PDF 文件已损坏或格式不正确，无法读取") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise PlanParseError("image_only", "PDF 中没有可提取的文字（可能是扫描件或图片），请上传文字版 PDF 或 Word 文档")
    if text.count("(cid:") > max(20, len(text) // 50):
        raise PlanParseError("image_only", "PDF 的字体没有文字编码，无法提取文字，请上传 Word 文档或另存为文字版 PDF")
    return text
