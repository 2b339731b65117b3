"""Cheap checks before a document is opened: zip bombs in .docx, drawing-operator bombs in PDF pages."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from typing import Any

from plan_svc.parsing.errors import PlanParseError

MAX_UNZIPPED = 100 * 1024 * 1024  # all entries of a .docx together
MAX_ENTRY_RATIO = 100  # a large entry compressed more than this is a bomb, not a document
RATIO_FROM = 2 * 1024 * 1024  # small entries (styles, repeated empty paragraphs) may compress very well
MAX_ENTRIES = 5000
MAX_PARAGRAPHS = 50_000  # a long plan has a few thousand; python-docx needs minutes for a million
MAX_PAGE_STREAM = 8 * 1024 * 1024  # decoded content of one PDF page
MAX_PAGE_OPERATORS = 50_000  # path and text operators of one PDF page
_OPERATORS = re.compile(rb"(?<![A-Za-z'\"*])(?:re|m|l|c|v|y|h|S|s|f\*?|F|B\*?|b\*?|n|W\*?|Tj|TJ|Td|TD|Tm|Do|cm|q|Q)(?![A-Za-z'\"*])")


def too_complex(what: str) -> PlanParseError:
    """The error for a document that would take far more memory or time than a plan can need."""
    return PlanParseError("document_too_complex", f"{what}，超出了计划文档的合理范围，无法导入；请检查文件或另存后再上传")


def check_zip(data: bytes) -> None:
    """Refuse a .docx whose entries would inflate far beyond any real document, before reading any of them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise PlanParseError("corrupt_file", "Word 文件已损坏或不是 .docx 格式，请用 Word/WPS 另存为 .docx 后再上传") from exc
    if len(infos) > MAX_ENTRIES:
        raise too_complex(f"Word 文件包含 {len(infos)} 个内部文件")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED:
        raise PlanParseError("file_too_large", f"Word 文件解压后有 {total // (1024 * 1024)} MB，超过 {MAX_UNZIPPED // (1024 * 1024)} MB 的上限，无法导入")
    for i in infos:
        if i.file_size > RATIO_FROM and i.file_size > MAX_ENTRY_RATIO * max(i.compress_size, 1):
            raise PlanParseError("file_too_large", f"Word 文件中的“{i.filename[:60]}”压缩比异常（{i.file_size // max(i.compress_size, 1)} 倍），疑似压缩炸弹，无法导入")
    _count_paragraphs(data, [i for i in infos if i.filename.startswith("word/") and i.filename.endswith(".xml")])


def _count_paragraphs(data: bytes, parts: list[zipfile.ZipInfo]) -> None:
    """Stream through the Word parts counting paragraphs, without building any tree."""
    count = 0
    carry = b""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in parts:
            with zf.open(info) as f:
                while chunk := f.read(1 << 20):
                    block = carry + chunk
                    count += block.count(b"<w:p>") + block.count(b"<w:p ")
                    carry = block[-5:]
                    count -= carry.count(b"<w:p>") + carry.count(b"<w:p ")  # counted again with the next chunk
                    if count > MAX_PARAGRAPHS:
                        raise too_complex(f"Word 文件有超过 {MAX_PARAGRAPHS} 个段落")


def _filter_name(f: Any) -> str:
    """A stream filter's name, whether pdfminer gives the literal alone or with its parameters."""
    f = f[0] if isinstance(f, tuple) else f
    name = getattr(f, "name", f)
    return name.decode() if isinstance(name, bytes) else str(name)


def _stream_bytes(stream: Any) -> bytes:
    """A content stream decoded with a ceiling: Flate is inflated incrementally, other filters by pdfminer."""
    names = [_filter_name(f) for f in (stream.get_filters() or [])]
    if names == ["FlateDecode"] or names == ["Fl"]:
        d = zlib.decompressobj()
        out = d.decompress(stream.rawdata or b"", MAX_PAGE_STREAM + 1)
        if len(out) > MAX_PAGE_STREAM:
            raise too_complex("PDF 页面内容解压后过大")
        return out
    data = stream.get_data() or b""
    if len(data) > MAX_PAGE_STREAM:
        raise too_complex("PDF 页面内容过大")
    return data


def check_pdf_page(page: Any) -> None:
    """Refuse a PDF page with more drawing and text operators than any plan page has, before laying it out."""
    from pdfminer.pdftypes import resolve1

    contents = resolve1(page.page_obj.attrs.get("Contents"))
    streams = contents if isinstance(contents, list) else [contents]
    size = ops = 0
    for ref in streams:
        stream = resolve1(ref)
        if stream is None or not hasattr(stream, "rawdata"):
            continue
        data = _stream_bytes(stream)
        size += len(data)
        if size > MAX_PAGE_STREAM:
            raise too_complex("PDF 页面内容过大")
        ops += len(_OPERATORS.findall(data))
        if ops > MAX_PAGE_OPERATORS:
            raise too_complex(f"PDF 第 {page.page_number} 页有超过 {MAX_PAGE_OPERATORS} 个绘图指令")
