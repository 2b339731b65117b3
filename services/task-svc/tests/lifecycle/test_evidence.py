"""Evidence files: checked by content, limited in size, stored locally or in the database, readable by who sees the task."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from .conftest import lifecycle_app

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not an office file")
    return buf.getvalue()


async def _counts(org) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return (await org.scalar("SELECT count(*) FROM evidence_files"), await org.scalar("SELECT count(*) FROM evidence_blobs"),
            await org.scalar("SELECT count(*) FROM task_entries"))


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("store", ["local", "database"])
async def test_upload_list_download_and_refusals(make_settings, tmp_path, store) -> None:  # type: ignore[no-untyped-def]
    """Good files are stored and listed; oversize → 413, wrong type or mismatching name → 415, leaving nothing behind."""
    async with lifecycle_app(make_settings, evidence_store=store, evidence_max_bytes=4096) as org:
        root = tmp_path / "var" / "evidence"
        assert (await org.call("school-x1", "POST", "/api/tasks/t-x1/acknowledge")).status_code == 200
        up = lambda who, name, data: org.client.post("/api/tasks/t-x1/evidence", headers=org.h(who), files={"file": (name, data, "application/pdf")})
        r = await up("school-x1", "验收报告.pdf", PDF)
        assert r.status_code == 201, r.text
        pdf = r.json()
        assert (pdf["content_type"], pdf["size"], pdf["uploader"]) == ("application/pdf", len(PDF), "user-school-x1")
        r = await up("school-x1", "名单.csv", "学校,人数\n一校,30\n".encode())
        assert r.status_code == 201 and r.json()["content_type"] == "text/csv"
        before, files_before = await _counts(org), _files(root)
        assert len(files_before) == (2 if store == "local" else 0) and before[1] == (2 if store == "database" else 0)

        refusals = [
            (("school-x1", "big.pdf", PDF + b"0" * 5000), 413, "file_too_large"),
            (("school-x1", "photo.png", PDF), 415, "type_mismatch"),  # a PDF named .png
            (("school-x1", "report.pdf", PNG), 415, "type_mismatch"),
            (("school-x1", "tool.exe", b"MZ\x90\x00\x03" + b"\x00" * 100), 415, "unsupported_type"),
            (("school-x1", "archive.zip", _zip()), 415, "unsupported_type"),
            (("school-x1", "empty.pdf", b""), 422, None),
            (("school-x2", "other.pdf", PDF), 404, None),  # another school cannot even see the task
            (("dist-x", "district.pdf", PDF), 403, None),  # the district sees it but does not report on it
        ]
        for args, status, code in refusals:
            r = await up(*args)
            assert r.status_code == status, (args[1], r.text)
            if code:
                assert r.json()["error"]["code"] == code
        assert await _counts(org) == before and _files(root) == files_before
        assert await org.outbox_types() == ["task.acknowledged"]

        for who in ("school-x1", "dist-x", "dept-lead", "city", "dept-other"):
            r = await org.call(who, "GET", "/api/tasks/t-x1/evidence")
            assert r.status_code == 200 and [f["name"] for f in r.json()["items"]] == ["验收报告.pdf", "名单.csv"], (who, r.text)
            r = await org.call(who, "GET", f"/api/tasks/t-x1/evidence/{pdf['id']}")
            assert r.status_code == 200 and r.content == PDF and r.headers["content-type"] == "application/pdf"
        for who in ("school-x2", "dist-y"):
            assert (await org.call(who, "GET", f"/api/tasks/t-x1/evidence/{pdf['id']}")).status_code == 404
            assert (await org.call(who, "GET", "/api/tasks/t-x1/evidence")).status_code == 404
        assert (await org.call("school-x1", "GET", f"/api/tasks/t-x2/evidence/{pdf['id']}")).status_code == 404
        assert (await org.call("school-x1", "GET", "/api/tasks/t-x1/evidence/nope")).status_code == 404
        r = await org.call("school-x1", "POST", "/api/tasks/t-x1/progress", json={"percent": 5, "evidence_ids": ["nope"]})
        assert r.status_code == 422 and await org.scalar("SELECT count(*) FROM task_reports") == 0
        async with org.app.state.ctx.db.engine.connect() as conn:
            storage = {s for (s,) in (await conn.execute(sa.text("SELECT storage FROM evidence_files"))).all()}
        assert storage == {store}
