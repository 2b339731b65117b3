"""Legacy Word and WPS files (.doc/.wps/.rtf/.odt), converted to .docx by LibreOffice headless when it is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from plan_svc.parsing.errors import PlanParseError

LEGACY_EXT = {".doc", ".wps", ".rtf", ".odt", ".dot", ".wpt"}
CONVERT_TIMEOUT_S = 60
HOW_TO_ENABLE = ("服务器未安装 LibreOffice，暂不能直接读取 .doc/.wps 文件。请在 Word/WPS 中“另存为 .docx”后再上传；"
                 "或请管理员在 plan-svc 所在服务器安装 LibreOffice（如 apt-get install libreoffice-writer-nogui，使 soffice 命令可用，"
                 "或设置环境变量 DUBAN_SOFFICE 为其路径），之后即可直接导入。")


def soffice() -> str | None:
    """The LibreOffice executable: DUBAN_SOFFICE, else soffice or libreoffice on PATH."""
    configured = os.environ.get("DUBAN_SOFFICE")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, ext: str) -> bytes:
    """The .docx LibreOffice makes of a legacy document; 415 with instructions when LibreOffice is not installed."""
    exe = soffice()
    if exe is None:
        raise PlanParseError("unsupported_type", HOW_TO_ENABLE)
    with tempfile.TemporaryDirectory(prefix="duban-soffice-") as tmp:
        src = Path(tmp) / f"upload{ext or '.doc'}"
        src.write_bytes(data)
        profile = Path(tmp) / "profile"  # a private profile: parallel conversions do not share LibreOffice's lock
        cmd = [exe, "--headless", "--norestore", "--nologo", f"-env:UserInstallation={profile.as_uri()}",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", tmp, str(src)]
        try:
            subprocess.run(cmd, capture_output=True, timeout=CONVERT_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PlanParseError("document_too_complex", "转换旧版 Word/WPS 文件超时，请另存为 .docx 后再上传") from exc
        except OSError as exc:
            raise PlanParseError("unsupported_type", HOW_TO_ENABLE) from exc
        out = Path(tmp) / "upload.docx"
        if not out.exists() or out.stat().st_size == 0:
            raise PlanParseError("corrupt_file", "旧版 Word/WPS 文件无法转换，可能已损坏或加密；请用 Word/WPS 另存为 .docx 后再上传")
        return out.read_bytes()
