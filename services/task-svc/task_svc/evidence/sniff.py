"""What a file is, judged by its bytes; its name's extension must agree."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

import filetype

from duban_shared.errors import AppError

# content type → the extensions a file of that content may carry
ALLOWED: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/x-ole-storage": (".doc", ".xls", ".ppt"),
    "text/plain": (".txt", ".csv"),
}
_OOXML = {"word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "ppt/presentation.xml": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        return all(c.isprintable() or c in "\t\r\n\f\ufeff" for c in text)
    return False


def detect(data: bytes) -> str | None:
    """The content type of the bytes, or None when it is none we recognise."""
    if data.startswith(_OLE):
        return "application/x-ole-storage"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        return next((ct for member, ct in _OOXML.items() if member in names), "application/zip")
    kind = filetype.guess(data)
    if kind is not None:
        return str(kind.mime)
    return "text/plain" if data and _text(data) else None


def check(name: str, data: bytes) -> str:
    """The content type to store; 415 when the content is not allowed or does not match the name."""
    ext = PurePath(name).suffix.lower()
    ctype = detect(data)
    if ctype not in ALLOWED:
        raise AppError(415, "unsupported_type", "不支持的文件类型；可上传 PDF、图片（PNG/JPG）、Word、Excel、PowerPoint 或文本文件")
    if ext not in ALLOWED[ctype]:
        raise AppError(415, "type_mismatch", f"文件内容与扩展名「{ext or '无'}」不符，请检查文件")
    if ctype == "text/plain" and ext == ".csv":
        return "text/csv"
    return ctype
