"""POST /api/plans/import: documents and raw text become draft plans; bad input is refused cleanly."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import docx

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"
SEED = min(SEEDS.glob("000_*.txt"))


async def _count(client, headers) -> int:  # type: ignore[no-untyped-def]
    r = await client.get("/api/plans", headers=headers)
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


async def test_import_txt_gives_a_draft_with_ids_and_keeps_the_original(plan_client, auth) -> None:
    data = SEED.read_bytes()
    r = await plan_client.post("/api/plans/import", files={"file": ("工作要点.txt", data, "text/plain")}, headers=auth())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "draft" and body["version"] == 0
    draft = body["draft"]
    assert "2023" in draft["title"] and draft["year"] == 2023
    items = [i for s in draft["sections"] for i in s["items"]]
    assert len(draft["sections"]) >= 4 and len(items) >= 20
    assert all(s["id"] for s in draft["sections"]) and all(i["id"] for i in items)
    assert all(ind["id"] for i in items for ind in i["indicators"])
    assert any(i["indicators"] for i in items)
    [f] = draft["files"]
    r = await plan_client.get(f"/api/plans/{body['id']}/files/{f['id']}", headers=auth())
    assert r.status_code == 200
    assert r.content == data and r.headers["x-content-sha256"] == hashlib.sha256(data).hexdigest()
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    r = await plan_client.get(f"/api/plans/{body['id']}", headers=auth())
    assert r.json()["title"] == draft["title"]


async def test_import_docx_and_raw_text(plan_client, auth) -> None:
    d = docx.Document()
    d.add_heading("明州市教育局2026年工作要点", 0)
    d.add_paragraph("一、推进基础教育优质均衡发展")
    d.add_paragraph("（一）扩大优质学前教育资源。新建幼儿园30所，普惠性幼儿园覆盖率达到90%以上。(责任单位:基教处)")
    d.add_paragraph("（二）深化集团化办学。新增教育集团15个。(责任单位:基教处、发展规划处)")
    buf = io.BytesIO()
    d.save(buf)
    r = await plan_client.post("/api/plans/import", files={"file": ("plan.docx", buf.getvalue(), "application/octet-stream")}, headers=auth())
    assert r.status_code == 201, r.text
    items = [i for s in r.json()["draft"]["sections"] for i in s["items"]]
    assert [i["title"] for i in items] == ["扩大优质学前教育资源", "深化集团化办学"]
    assert items[0]["lead_units"] == ["基教处"]

    text = "明州市教育局2026年工作要点\n一、加强党的建设\n（一）深化主题教育。全年开展培训3000人次。\n"
    r = await plan_client.post("/api/plans/import", content=text.encode(), headers={**auth(), "Content-Type": "text/plain; charset=utf-8"})
    assert r.status_code == 201, r.text
    assert r.json()["draft"]["sections"][0]["items"][0]["title"] == "深化主题教育"
    assert r.json()["draft"]["files"] == []


async def test_bad_uploads_get_clear_4xx_and_store_nothing(plan_client, auth) -> None:
    h = auth()
    png = b"\x89PNG\r\n\x1a\n" + bytes(2000)
    cases = [
        (("empty.txt", b""), {400, 422}),
        (("picture.png", png), {415, 422}),
        (("tool.exe", b"MZ" + bytes(500)), {415}),
        (("binary.txt", bytes(range(256)) * 40), {400, 422}),
        (("notes.txt", "今天天气很好，我们去公园散步。".encode()), {422}),
        (("fake.docx", b"PK\x03\x04 not really a zip"), {400, 422}),
        (("fake.pdf", b"%PDF-1.4 broken"), {400, 422}),
        (("huge.txt", b"a" * (20 * 1024 * 1024 + 10)), {413}),
    ]
    for (name, data), statuses in cases:
        r = await plan_client.post("/api/plans/import", files={"file": (name, data, "application/octet-stream")}, headers=h)
        assert r.status_code in statuses, (name, r.status_code, r.text[:300])
        err = r.json()["error"]
        assert err["code"] and any("\u4e00" <= ch <= "\u9fff" for ch in err["message"]), (name, err)
    r = await plan_client.post("/api/plans/import", data={"other": "x"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "file_missing"
    r = await plan_client.post("/api/plans/import", content=b"{}", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 415
    r = await plan_client.post("/api/plans/import", content=b"--x\r\nbroken", headers={**h, "Content-Type": "multipart/form-data; boundary=x"})
    assert 400 <= r.status_code < 500
    assert await _count(plan_client, h) == 0


async def test_import_needs_a_plan_administrator(plan_client, auth) -> None:
    files = {"file": ("p.txt", SEED.read_bytes(), "text/plain")}
    r = await plan_client.post("/api/plans/import", files=files)
    assert r.status_code == 401 and r.json()["error"]["code"]
    r = await plan_client.post("/api/plans/import", files=files, headers=auth("school"))
    assert r.status_code == 403
    assert await _count(plan_client, auth()) == 0
