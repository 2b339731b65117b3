"""Legacy .doc/.wps: converted by LibreOffice when installed, otherwise a 415 that says how to enable them."""

from __future__ import annotations

import asyncio

import docx
import pytest

from plan_svc.parsing import PlanParseError, parse_plan_file
from plan_svc.parsing.legacy import soffice

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)


@pytest.mark.parametrize("name", ["计划.doc", "计划.wps", "计划"])
def test_without_libreoffice_legacy_files_get_instructions(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("DUBAN_SOFFICE", "/nonexistent/soffice")
    with pytest.raises(PlanParseError) as err:
        parse_plan_file(OLE, name)
    assert err.value.code == "unsupported_type"
    assert "LibreOffice" in err.value.message and "另存为 .docx" in err.value.message and "DUBAN_SOFFICE" in err.value.message


async def test_the_api_answers_415_with_the_instructions(plan_client, auth, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_SOFFICE", "/nonexistent/soffice")
    r = await plan_client.post("/api/plans/import", files={"file": ("计划.doc", OLE)}, headers=auth())
    assert r.status_code == 415 and "LibreOffice" in r.json()["error"]["message"], r.text


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed on this machine")
def test_with_libreoffice_a_doc_is_converted_and_parsed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    d = docx.Document()
    for line in ["明州市教育局2026年工作要点", "一、加强党建", "（一）深化理论武装。组织专题学习10次。（责任单位：组织人事处）"]:
        d.add_paragraph(line)
    src = tmp_path / "in.docx"
    d.save(str(src))
    subprocess.run([soffice(), "--headless", "--convert-to", "doc", "--outdir", str(tmp_path), str(src)], check=True, timeout=120)
    legacy = (tmp_path / "in.doc").read_bytes()
    assert legacy.startswith(b"\xd0\xcf\x11\xe0")  # a real OLE Word 97 file, as WPS Office also writes .wps
    for name in ("计划.doc", "计划.wps"):
        draft = parse_plan_file(legacy, name)
        assert [i["title"] for s in draft["sections"] for i in s["items"]] == ["深化理论武装"]
        assert draft["title"] == "明州市教育局2026年工作要点"


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed on this machine")
async def test_the_api_imports_a_doc_through_the_limited_parser(plan_client, auth, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    d = docx.Document()
    for line in ["明州市教育局2026年工作要点", "一、加强党建", "（一）加强作风建设。开展专项整治。（责任单位：机关党委）"]:
        d.add_paragraph(line)
    d.save(str(tmp_path / "in.docx"))
    cmd = [soffice(), "--headless", "--convert-to", "doc", "--outdir", str(tmp_path), str(tmp_path / "in.docx")]
    await asyncio.to_thread(subprocess.run, cmd, check=True, timeout=120)
    r = await plan_client.post("/api/plans/import", files={"file": ("计划.doc", (tmp_path / "in.doc").read_bytes())}, headers=auth())
    assert r.status_code == 201, r.text
    assert [i["title"] for s in r.json()["draft"]["sections"] for i in s["items"]] == ["加强作风建设"]
