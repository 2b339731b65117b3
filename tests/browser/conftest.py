"""Browser tests of the console: Debian's Chromium driven by Playwright, against a real stack started here."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from duban.console import ROOT as CONSOLE_ROOT
from duban.console import build
from duban_shared.testing.databases import postgres_available
from duban_shared.testing.services import bearer, eventually, serving
from gateway.config import GatewaySettings
from gateway.main import create_app as gateway_app
from notify_svc.config import NotifySettings
from notify_svc.main import create_app as notify_app
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from report_svc.config import ReportSettings
from report_svc.main import create_app as report_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

CHROMIUM = "/usr/bin/chromium"
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SAMPLE = Path(__file__).resolve().parent / "data" / "2026年工作要点.txt"
GROUP_ITEM = "深化集团化办学"  # targets the districts: each district bureau gets a task it can re-dispatch
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _ensure_chromium() -> None:
    if Path(CHROMIUM).exists() and CJK_FONT.exists():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail("需要 Debian 的 chromium 和 fonts-noto-cjk：请以 root 运行 apt-get install chromium fonts-noto-cjk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"], check=True, env=env, timeout=1200)


_forced = os.environ.get("DUBAN_TEST_BACKENDS")
BACKEND = _forced.split(",")[-1] if _forced else ("postgres" if postgres_available() else "sqlite")


@pytest.fixture(params=[BACKEND])
def backend(request: pytest.FixtureRequest) -> str:
    """One database backend, not each: these tests drive pages, and the services' storage is proven
    on every backend by their own tests. The last one configured (PostgreSQL where it answers)."""
    return str(request.param)


@pytest.fixture(scope="session")
def console_dist() -> Path:
    """The console built from the sources as they are (skipped when already current)."""
    build()
    return CONSOLE_ROOT / "dist"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, installed with apt-get when missing."""
    _ensure_chromium()
    return CHROMIUM


@dataclass
class Stack:
    """The running stack: the gateway's URL and an API client for arranging what a step needs."""

    url: str
    api: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)

    async def login(self, username: str) -> dict[str, str]:
        """Bearer headers for a demo account."""
        if username not in self.tokens:
            r = await self.api.post("/api/auth/login", json={"username": username, "password": "demo"})
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return bearer(self.tokens[username])

    async def call(self, method: str, path: str, user: str, **kw: Any) -> Any:
        """An API call as `user`; fails the test on a non-2xx answer."""
        r = await self.api.request(method, path, headers=await self.login(user), **kw)
        assert r.status_code < 300, f"{method} {path} as {user}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    async def import_plan(self) -> dict[str, Any]:
        """The sample plan imported as a draft by the city."""
        r = await self.api.post("/api/plans/import", files={"file": (SAMPLE.name, SAMPLE.read_bytes(), "text/plain")},
                                 headers=await self.login("city"))
        assert r.status_code == 201, r.text
        return r.json()

    async def publish_sample(self) -> str:
        """Import and publish the sample plan; returns its id once Haishu's tasks exist."""
        plan = await self.import_plan()
        await self.call("POST", f"/api/plans/{plan['id']}/publish", "city")
        await self.district_task(plan["id"])
        return plan["id"]

    async def district_task(self, plan_id: str, district: str = "haishu") -> dict[str, Any]:
        """The district's task for the group-schooling item, once the breakdown has made it."""

        async def find() -> dict[str, Any] | None:
            page = await self.call("GET", "/api/tasks", district, params={"plan_id": plan_id, "level": "district"})
            return next((t for t in page["items"] if t["title"] == GROUP_ITEM and t["level"] == "district"), None)

        return await eventually(find, what=f"{district}'s task")

    async def schools(self, district: str = "haishu", n: int = 2) -> list[dict[str, Any]]:
        """The first n primary schools of a district, from the directory."""
        me = await self.call("GET", "/api/auth/me", district)
        page = await self.call("GET", "/api/directory/units", district,
                                params={"kind": "school", "parent_id": me["unit_id"], "school_type": "primary", "limit": 500})
        return sorted(page["items"], key=lambda u: u["code"])[:n]

    async def dispatched(self, plan_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Haishu acknowledges its task and re-dispatches it to two primary schools (through the API)."""
        task = await self.district_task(plan_id)
        await self.call("POST", f"/api/tasks/{task['id']}/acknowledge", "haishu")
        picked = await self.schools()
        r = await self.call("POST", f"/api/tasks/{task['id']}/dispatch", "haishu", json={"school_ids": [s["id"] for s in picked]})
        assert r["created"] == 2
        return task, picked

    async def school_task(self, school_code: str, parent_id: str) -> dict[str, Any]:
        """A school's task under the district's task."""

        async def find() -> dict[str, Any] | None:
            page = await self.call("GET", "/api/tasks", school_code, params={"parent_id": parent_id})
            return next(iter(page["items"]), None)

        return await eventually(find, what=f"{school_code}'s task")

    async def submitted(self, school_code: str, task_id: str) -> None:
        """The school acknowledges, reports and submits (through the API)."""
        await self.call("POST", f"/api/tasks/{task_id}/acknowledge", school_code)
        await self.call("POST", f"/api/tasks/{task_id}/progress", school_code,
                         json={"percent": 100, "note": "已完成", "indicator_values": []})
        await self.call("POST", f"/api/tasks/{task_id}/submit", school_code, json={"summary": "已完成"})


@pytest.fixture
async def stack(make_settings: Callable[..., Any], console_dist: Path) -> AsyncIterator[Stack]:
    """plan, task (demo directory), notify and report services plus the gateway, each on a real socket."""
    services = {"plan": (plan_app, PlanSettings, {}), "task": (task_app, TaskSettings, {"demo_directory": True}),
                "notify": (notify_app, NotifySettings, {}), "report": (report_app, ReportSettings, {})}
    async with AsyncExitStack() as es:
        urls = {n: await es.enter_async_context(serving(app(make_settings(cls, **extra)))) for n, (app, cls, extra) in services.items()}
        gw = gateway_app(make_settings(GatewaySettings, plan_svc_url=urls["plan"], task_svc_url=urls["task"],
                                       notify_svc_url=urls["notify"], report_svc_url=urls["report"], console_dir=console_dist))
        url = await es.enter_async_context(serving(gw))
        api = await es.enter_async_context(httpx.AsyncClient(base_url=url, timeout=30))
        yield Stack(url=url, api=api)


@dataclass
class Browser:
    """One Chromium for the test; pages that record console errors and log in through the login form."""

    base: str
    browser: Any
    errors: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def expect_error(self, text: str) -> None:
        """A console line the test provokes on purpose (a refused request it sends, going offline)."""
        self.expected.append(text)

    def unexpected_errors(self) -> list[str]:
        """Console errors other than the provoked ones (with the failed requests behind them)."""
        console = [e for e in self.errors if "(request)" not in e and not any(x in e for x in self.expected)]
        return console + [e for e in self.errors if "(request)" in e] if console else []

    async def page(self, username: str | None = None, *, phone: bool = False, path: str = "/") -> Any:
        """A new page (its own cookies), logged in as `username` when given."""
        viewport = {"width": 390, "height": 844} if phone else {"width": 1366, "height": 768}
        ctx = await self.browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai",
                                             is_mobile=phone, has_touch=phone, accept_downloads=True)
        page = await ctx.new_page()
        page.set_default_timeout(15_000)
        who = username or "anonymous"
        page.on("console", lambda m: self.errors.append(f"[{who}] {m.text} @ {page.url}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"[{who}] {e} @ {page.url}"))
        # Chromium's console line names the page, not the request: keep which request failed, for the report.
        page.on("response", lambda r: self.errors.append(f"[{who}] (request) {r.status} {r.request.method} {r.url}")
                if r.status >= 400 else None)
        if username:
            await page.goto(f"{self.base}/login?redirect={path}")
            await page.fill("input[name=username]", username)
            await page.fill("input[name=password]", "demo")
            await page.click("button[type=submit]")
            await page.wait_for_function("() => !location.pathname.startsWith('/login')")
        return page

    async def shot(self, page: Any, name: str) -> Path:
        """A full-page screenshot under var/screenshots/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        # A dialog still fading in (or a list still sliding) would be caught half-drawn.
        await page.evaluate("""Promise.all(document.getAnimations()
            .filter((a) => a.effect && a.effect.getComputedTiming().iterations !== Infinity)
            .map((a) => a.finished.catch(() => null)))""")
        await page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
async def browser(chromium: str, stack: Stack) -> AsyncIterator[Browser]:
    """Chromium headless; the test fails if any page logged an error to its console."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chrome = await pw.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        b = Browser(base=stack.url, browser=chrome)
        try:
            yield b
        finally:
            await chrome.close()
        assert b.unexpected_errors() == [], "页面控制台有错误：\n" + "\n".join(b.unexpected_errors())


Eventually = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]
