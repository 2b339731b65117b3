"""Issue 12 for plan-svc: drafts and originals stay with editors; document bombs get a quick, clear 4xx."""

from __future__ import annotations

import io
import resource
import zipfile
import zlib
from pathlib import Path

import pytest

from plan_svc.config import PlanSettings
from plan_svc.main import create_app

PLAN = ("明州市教育局2026年工作要点\n一、加强党建\n（一）深化理论武装。组织专题学习10次。（责任单位：组织人事处）\n"
        "（二）加强作风建设。开展专项整治。（责任单位：机关党委）\n")
CORPUS = Path(__file__).parent / "data" / "corpus"
READERS = ("school", "district", "department")


async def _import(client, headers, text: str = PLAN) -> dict:  # type: ignore[no-untyped-def,type-arg]
    r = await client.post("/api/plans/import", files={"file": ("计划.txt", text.encode(), "text/plain")}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize("kind", READERS)
async def test_non_editors_see_neither_drafts_nor_originals(plan_client, auth, kind: str) -> None:
    body = await _import(plan_client, auth())
    plan_id, file_id = body["id"], body["draft"]["files"][0]["id"]
    assert (await plan_client.get(f"/api/plans/{plan_id}", headers=auth(kind))).status_code == 404
    listed = (await plan_client.get("/api/plans", headers=auth(kind))).json()
    assert listed["total"] == 0 and listed["items"] == []
    r = await plan_client.get(f"/api/plans/{plan_id}/files/{file_id}", headers=auth(kind))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert (await plan_client.get(f"/api/plans/{plan_id}/files/{file_id}", headers=auth())).status_code == 200


async def test_readers_get_the_published_version_not_later_edits(plan_client, auth) -> None:
    body = await _import(plan_client, auth())
    plan_id = body["id"]
    item = body["draft"]["sections"][0]["items"][0]
    assert (await plan_client.post(f"/api/plans/{plan_id}/publish", headers=auth())).status_code == 202
    r = await plan_client.patch(f"/api/plans/{plan_id}/items/{item['id']}", json={"title": "未发布的修改"}, headers=auth())
    assert r.status_code == 200
    seen = (await plan_client.get(f"/api/plans/{plan_id}", headers=auth("school"))).json()
    assert seen["version"] == 1 and seen["status"] == "published" and seen["files"] == [] and seen["warnings"] == []
    assert [i["title"] for s in seen["sections"] for i in s["items"]] == ["深化理论武装", "加强作风建设"]
    mine = (await plan_client.get(f"/api/plans/{plan_id}", headers=auth())).json()
    assert mine["dirty"] and mine["sections"][0]["items"][0]["title"] == "未发布的修改"
    listed = (await plan_client.get("/api/plans", headers=auth("district"))).json()
    assert listed["total"] == 1 and listed["items"][0]["dirty"] is False


def _docx_bomb(inflated_mb: int) -> bytes:
    """A .docx whose document.xml is small compressed and huge inflated."""
    buf = io.BytesIO()
    para = b"<w:p><w:r><w:t>" + "计划".encode() * 8 + b"</w:t></w:r></w:p>"
    chunk = para * (1024 * 1024 // len(para))
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        with zf.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
            for _ in range(inflated_mb):
                f.write(chunk)
            f.write(b"</w:body></w:document>")
    return buf.getvalue()


def _pdf_bomb(operators: int) -> bytes:
    """A one-page PDF whose compressed content stream holds a huge number of path operators."""
    content = zlib.compress(b"0 0 m 1 1 l S\n" * operators, 9)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for o in offsets:
        out.write(b"%010d 00000 n \n" % o)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def test_document_bombs_get_a_clear_4xx_and_leave_the_service_small(plan_client, auth) -> None:
    docx_bomb, pdf_bomb = _docx_bomb(200), _pdf_bomb(200_000)
    assert len(docx_bomb) < 1024 * 1024 and len(pdf_bomb) < 20 * 1024
    before = _peak_rss_mb()
    r = await plan_client.post("/api/plans/import", files={"file": ("炸弹.docx", docx_bomb)}, headers=auth())
    assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large", r.text
    assert "解压" in r.json()["error"]["message"]
    r = await plan_client.post("/api/plans/import", files={"file": ("炸弹.pdf", pdf_bomb)}, headers=auth())
    assert r.status_code == 422 and r.json()["error"]["code"] == "document_too_complex", r.text
    # Parsing happens in a child process: the service (this process) does not grow by the bombs' inflated size.
    assert _peak_rss_mb() - before < 100
    assert (await plan_client.get("/api/plans", headers=auth())).json()["total"] == 0


async def test_ratio_bomb_below_the_total_limit_is_refused(plan_client, auth) -> None:
    r = await plan_client.post("/api/plans/import", files={"file": ("炸弹.docx", _docx_bomb(20))}, headers=auth())
    assert r.status_code == 413 and "压缩比" in r.json()["error"]["message"], r.text


def _paragraph_flood(paragraphs: int) -> bytes:
    """A .docx of modest size and ordinary compression ratio with far more paragraphs than any plan."""
    block = b"".join(b"<w:p><w:r><w:t>%d.abc</w:t></w:r></w:p>" % i for i in range(10_000))
    body = block * (paragraphs // 10_000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("word/document.xml", b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                    + body + b"</w:body></w:document>")
    return buf.getvalue()


async def test_a_paragraph_flood_is_refused_before_word_parsing(plan_client, auth) -> None:
    r = await plan_client.post("/api/plans/import", files={"file": ("段落.docx", _paragraph_flood(60_000))}, headers=auth())
    assert r.status_code == 422 and r.json()["error"]["code"] == "document_too_complex" and "段落" in r.json()["error"]["message"]


async def test_a_parse_over_its_memory_limit_is_a_422_not_a_crash(make_settings) -> None:
    from duban_shared.auth import Principal, issuer_from_settings
    from duban_shared.testing.services import running

    # 45 MB of address space is less than reading a .docx needs (python-docx and lxml alone take more).
    settings: PlanSettings = make_settings(PlanSettings, parse_memory_mb=45)
    token = issuer_from_settings(settings).issue(Principal("u", "c", "city", ("city", "plan_admin")))
    data = (CORPUS / "11_docx_header_boxes.docx").read_bytes()
    async with running(create_app(settings)) as client:
        r = await client.post("/api/plans/import", files={"file": ("计划.docx", data)}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "document_too_complex", r.text
        r = await client.post("/api/plans/import", files={"file": ("计划.txt", PLAN.encode())}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, "the service itself is unharmed and plain text still fits"
