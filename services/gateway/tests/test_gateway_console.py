"""The built console: served with its assets, SPA routes, security headers, and a clear page when not built."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

INDEX = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>督办 · 测试</title>
<script type="module" crossorigin src="/assets/index-abc123.js"></script>
<link rel="stylesheet" href="/assets/index-abc123.css"></head><body><div id="app"></div></body></html>"""


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    d = tmp_path / "dist"
    (d / "assets").mkdir(parents=True)
    (d / "index.html").write_text(INDEX, encoding="utf-8")
    (d / "assets" / "index-abc123.js").write_text("console.log('督办')", encoding="utf-8")
    (d / "assets" / "index-abc123.css").write_text("body{}", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not for the web")
    return d


async def test_console_and_its_assets_are_served(gateway, dist) -> None:
    async with gateway(console_dir=dist) as client:
        page = await client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-cache"
        assert "督办" in re.search(r"<title>(.*?)</title>", page.text).group(1)
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and not [a for a in assets if a.startswith(("http:", "https:", "//"))]  # no CDN
        for a in assets:
            resp = await client.get(a)
            assert resp.status_code == 200 and resp.content, a
            assert "immutable" in resp.headers["cache-control"]
        js = await client.get("/assets/index-abc123.js")
        assert js.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")


async def test_app_routes_get_the_page_and_unknown_paths_a_404(gateway, dist) -> None:
    async with gateway(console_dir=dist) as client:
        for path in ("/login", "/tasks", "/tasks/abc", "/plans/p1", "/dashboard?plan=1"):
            resp = await client.get(path)
            assert resp.status_code == 200 and "<div id=\"app\">" in resp.text, path
        browser = await client.get("/nowhere", headers={"accept": "text/html,application/xhtml+xml"})
        script = await client.get("/nowhere")
        missing = await client.get("/assets/nope.js")
        escape = await client.get("/assets/..%2F..%2Fsecret.txt")
    assert browser.status_code == 404 and "<div id=\"app\">" in browser.text  # the app shows 页面不存在
    assert script.status_code == 404 and script.json()["error"]["code"] == "not_found"
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert escape.status_code == 404 and "not for the web" not in escape.text


async def test_security_headers_on_the_console_and_the_api(gateway, dist) -> None:
    async with gateway(console_dir=dist) as client:
        for resp in (await client.get("/"), await client.get("/assets/index-abc123.js"), await client.get("/api/tasks")):
            csp = resp.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
            assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
            assert resp.headers["x-content-type-options"] == "nosniff"
            assert resp.headers["referrer-policy"] == "same-origin"
            assert resp.headers["x-frame-options"] == "DENY"


async def test_not_built_yet_is_a_clear_chinese_page(gateway, tmp_path) -> None:
    async with gateway(console_dir=tmp_path / "missing") as client:
        resp = await client.get("/")
    assert resp.status_code == 503
    assert "控制台尚未构建" in resp.text and "make run" in resp.text
    assert "<script" not in resp.text
