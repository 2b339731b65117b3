"""Bytes to text: pick the reader by extension and content, detect the encoding of plain text."""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import PurePath

from charset_normalizer import from_bytes

from plan_svc.parsing.errors import MAX_UPLOAD_BYTES, PlanParseError
from plan_svc.parsing.legacy import LEGACY_EXT, convert_to_docx

TEXT_EXT = {".txt", ".text", ".md", ".csv", ""}
IMAGE_EXT = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic"}
OLD_OFFICE_EXT = {".doc", ".wps", ".rtf", ".odt", ".xls", ".xlsx", ".et", ".ppt", ".pptx", ".ofd", ".html", ".htm"}
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd\ue000-\uf8ff]")


def _too_large() -> PlanParseError:
    return PlanParseError("file_too_large", "文件超过 20 MB，无法导入，请压缩图片或拆分后再上传")


def _sniff(data: bytes) -> str | None:
    """What the bytes are, whatever the file is called."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:65536] or b"[Content_Types].xml" in data[:2048] else "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if any(data.startswith(m) for m in _IMAGE_MAGIC) or (data.startswith(b"RIFF") and data[8:12] == b"WEBP"):
        return "image"
    if data.startswith(b"BM") and data[6:10] == b"\0\0\0\0":
        return "image"
    return None


def _plausible(text: str) -> bool:
    """True when decoded text looks like a document rather than decoded noise."""
    if not text.strip():
        return True
    bad = len(_BAD_CHARS.findall(text))
    if bad > max(2, len(text) // 100):
        return False
    sample = text[:20000]
    letters = sum(1 for ch in sample if ch.isalnum() or ch.isspace() or unicodedata.category(ch).startswith("P"))
    return letters >= 0.7 * len(sample)


def decode_text(data: bytes) -> str:
    """Decode plain text: BOMs first, then strict UTF-8, then GB18030 (a superset of GBK), then charset-normalizer."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            text = data[len(bom):].decode(enc, errors="replace")
            if _plausible(text):
                return text
            raise PlanParseError("binary_file", "文件内容无法识别为文字，可能已损坏")
    candidates: list[str] = []
    for enc in ("utf-8", "gb18030"):
        try:
            candidates.append(data.decode(enc))
            break
        except UnicodeDecodeError:
            continue
    if not candidates and b"\x00" not in data[:4096]:
        best = from_bytes(data[:2_000_000]).best()
        if best is not None and best.encoding:
            candidates.append(data.decode(best.encoding, errors="replace"))
    for text in candidates:
        if _plausible(text):
            return text
    raise PlanParseError("binary_file", "文件不是文字文档（可能是图片、压缩包或其他二进制文件），请上传 .txt、.docx 或文字版 .pdf")


def extract_text(data: bytes, filename: str) -> str:
    """The text of an uploaded plan document (.txt in any common Chinese encoding, .docx, text .pdf)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_large()
    if not data or not data.strip():
        raise PlanParseError("empty_file", "文件是空的，没有可导入的内容")
    ext = PurePath(filename or "").suffix.lower()
    kind = _sniff(data)
    if ext in IMAGE_EXT or kind == "image":
        raise PlanParseError("image_only", "这是图片文件，无法识别其中的文字；请上传 .txt、.docx 或文字版 .pdf")
    legacy = kind == "ole" or data.startswith(b"{\\rtf") or kind == "zip" and ext == ".odt"
    if legacy and ext not in {".xls", ".xlsx", ".ppt", ".pptx", ".et", ".dps"}:
        from plan_svc.parsing.office import docx_text

        return docx_text(convert_to_docx(data, ext if ext in LEGACY_EXT else ".doc"))
    if kind == "ole" or (ext in OLD_OFFICE_EXT and kind not in ("pdf", "docx")):
        hint = "请在 Word/WPS 中另存为 .docx 后再上传" if ext in {".doc", ".wps", ".rtf", ".odt", ""} or kind == "ole" else "请上传 .txt、.docx 或 .pdf"
        raise PlanParseError("unsupported_type", f"不支持该文件类型（{ext or '未知'}），{hint}")
    if kind == "pdf":
        from plan_svc.parsing.pdf import pdf_text

        return pdf_text(data)
    if kind == "docx" or ext == ".docx":
        from plan_svc.parsing.office import docx_text

        return docx_text(data)
    if kind == "zip":
        raise PlanParseError("unsupported_type", "这是压缩包，不是计划文档；请上传 .txt、.docx 或 .pdf")
    if ext == ".pdf":
        raise PlanParseError("corrupt_file", "文件扩展名是 .pdf，但内容不是 PDF，文件可能已损坏")
    if ext not in TEXT_EXT:
        raise PlanParseError("unsupported_type", f"不支持该文件类型（{ext}），请上传 .txt、.docx 或 .pdf")
    return decode_text(data)

