"""The built web console (a Vue single-page app) and the security headers every response carries."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from duban_shared.errors import AppError

# Element Plus and ECharts set style attributes at run time, hence 'unsafe-inline' for styles only;
# scripts come from this origin alone, never inline.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)

NOT_BUILT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>督办 · 控制台尚未构建</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.7">
<h1>督办控制台尚未构建</h1>
<p>网关正在运行，接口 <code>/api/*</code> 可以使用，但网页控制台的文件还没有生成。</p>
<p>请在项目目录运行 <code>make run</code>（会自动构建控制台），或运行 <code>.venv/bin/duban console build</code>，然后刷新本页。</p>
<p>控制台目录：<code>{dir}</code></p>
</body></html>"""


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, Referrer-Policy and frame denial to every response (pure ASGI: streams stay streams)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# The console's top-level routes (console/src/router.js). Other paths still get the app, which
# shows its "页面不存在" page, but with a 404 status so links checkers and scripts see the truth.
SPA_ROUTES = frozenset({"", "login", "plans", "dashboard", "tasks", "review", "notifications", "channels"})


def _index(dist: Path, status: int = 200) -> Response:
    index = dist / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT.replace("{dir}", str(dist)), status_code=503, headers={"Cache-Control": "no-store"})
    return FileResponse(index, status_code=status, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


async def page(request: Request) -> Response:
    """A console file, or index.html for any route of the single-page app."""
    dist: Path = request.app.state.settings.console_dir.resolve()
    rel = request.path_params.get("path", "")
    if rel == "api" or rel.startswith("api/"):
        raise AppError(404, "not_found", "请求的接口不存在")
    if rel.startswith("assets/") or "." in rel.rsplit("/", 1)[-1]:
        target = (dist / rel).resolve()
        if target.is_relative_to(dist) and target.is_file():
            # Vite names assets by content hash, so they never change under the same name.
            cache = "public, max-age=31536000, immutable" if rel.startswith("assets/") else "no-cache"
            return FileResponse(target, headers={"Cache-Control": cache})
        raise AppError(404, "not_found", "请求的文件不存在")
    if rel.split("/", 1)[0] in SPA_ROUTES:
        return _index(dist)
    if "text/html" in request.headers.get("accept", ""):
        return _index(dist, 404)
    raise AppError(404, "not_found", "请求的页面不存在")


def install(app: FastAPI) -> None:
    """The console routes: `/` and every path no other route took (add last)."""
    app.add_api_route("/", page, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/{path:path}", page, methods=["GET", "HEAD"], include_in_schema=False)
