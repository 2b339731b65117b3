"""The console in a real browser: each role's work, from import to approval, against a real stack.

Steps that need the task lifecycle and re-dispatch API (issues 7 and 8) fail until it is merged.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from duban_shared.testing.services import eventually

SAMPLE = Path(__file__).resolve().parent / "data" / "2026年工作要点.txt"
GROUP_ITEM = "深化集团化办学"

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def fill(page: Any, test_id: str, value: str) -> None:
    """Type into an Element Plus field by its data-test (set on the native input or on its wrapper)."""
    sel = f"input[data-test={test_id}], textarea[data-test={test_id}], [data-test={test_id}] input, [data-test={test_id}] textarea"
    await page.locator(sel).first.fill(value)


def button(page: Any, label: str) -> Any:
    """An Element Plus button by its label."""
    return page.locator("button.el-button").filter(has_text=label).first


async def confirm_box(page: Any) -> None:
    await page.locator(".el-message-box__btns .el-button--primary").click()


async def toast(page: Any, text: str) -> None:
    await page.locator(".el-message", has_text=text).first.wait_for()


async def test_city_imports_a_plan_edits_a_target_and_publishes(stack, browser) -> None:
    page = await browser.page("city")
    assert page.url.endswith("/plans")  # the city lands on its plan list
    for label in ("导入", "发布"):  # visible while the list is empty
        assert await button(page, label).is_visible()
    assert "暂无计划" in await page.locator("[data-test=plan-table]").inner_text()
    who = await page.locator("[data-test=who]").inner_text()
    assert "明州市教育局" in who and "计划管理员" in who

    await page.locator("[data-test=import-upload] input[type=file]").set_input_files(str(SAMPLE))
    await page.wait_for_url(re.compile(r"/plans/[^/]+$"))
    plan_id = page.url.rsplit("/", 1)[1]
    items = page.locator("[data-test=plan-item]")
    await items.nth(2).wait_for()
    assert await items.count() == 3
    assert "扩大优质学前教育资源" in await page.locator("[data-test=source-text]").inner_text()

    group = items.filter(has_text=GROUP_ITEM)
    await group.locator("[data-test=edit-item]").click()
    drawer = page.locator(".el-drawer")
    await drawer.locator("[data-test=live-count]").wait_for()
    before = await drawer.locator("[data-test=live-count]").inner_text()
    assert "学校 0 个" in before
    await drawer.locator("[data-test=t-school-types] label", has_text="小学").click()
    after = await drawer.locator("[data-test=live-count]").inner_text()
    assert "学校 0 个" not in after  # the count follows the ticked school types at once

    # A 422 is shown in Chinese next to the field it concerns (Chromium logs the refused request).
    browser.expect_error("status of 422")
    await fill(page, "f-title", "")
    await drawer.locator("[data-test=save-item]").click()
    err = drawer.locator(".el-form-item", has_text="标题").locator(".el-form-item__error")
    await err.wait_for()
    assert "标题" in await err.inner_text()
    await fill(page, "f-title", GROUP_ITEM)
    await fill(page, "f-target-0", "20")
    await drawer.locator("[data-test=save-item]").click()
    await toast(page, "已保存")

    plan = await stack.call("GET", f"/api/plans/{plan_id}", "city")
    item = next(i for s in plan["sections"] for i in s["items"] if i["title"] == GROUP_ITEM)
    assert item["indicators"][0]["target"] == 20 and "primary" in item["targets"]["school_types"]

    await page.locator("[data-test=publish]").click()
    await confirm_box(page)
    await toast(page, "已发布第 1 版")
    await stack.district_task(plan_id)
    await browser.shot(page, "city-plan-review")

    async def plan_svc_has_the_directory() -> bool:  # the preview counts from plan-svc's copy of it
        p = await stack.call("GET", f"/api/plans/{plan_id}/revision-preview", "city")
        units = await stack.call("GET", "/api/directory/units", "city", params={"kind": "school", "limit": 1})
        return p["directory"]["schools"] == units["total"]

    await eventually(plan_svc_has_the_directory, timeout=60, what="plan-svc's copy of the directory")
    # A revision: plan-svc's preview says who will be told what, in notify-svc's words, before it is published.
    safety = items.filter(has_text="开展校园安全隐患排查")
    await safety.locator("[data-test=edit-item]").click()
    await fill(page, "f-title", "开展校园安全隐患全面排查")
    await drawer.locator("[data-test=save-item]").click()
    impact = page.locator("[data-test=revision-impact]")
    await impact.locator("[data-test=revision-audience]", has_text="任务变更：开展校园安全隐患全面排查").first.wait_for()
    # Every open task of the item is renamed: the lead department's, each district's, each targeted school's.
    plan = await stack.call("GET", f"/api/plans/{plan_id}", "city")
    targets = next(i for s in plan["sections"] for i in s["items"] if i["title"] == "开展校园安全隐患全面排查")["targets"]
    districts = (await stack.call("GET", "/api/directory/units", "city", params={"kind": "district", "limit": 1}))["total"]
    schools = sum([(await stack.call("GET", "/api/directory/units", "city", params={"kind": "school", "school_type": t, "limit": 1}))["total"]
                   for t in targets["school_types"]])
    reached = districts if targets["districts"] or targets["school_types"] else 0
    await page.locator("[data-test=publish]").click()
    dialog = page.locator(".el-dialog", has=page.locator("[data-test=revision-preview]"))
    told = dialog.locator("[data-test=revision-audience]", has_text="安全稳定处")
    await told.wait_for()
    assert "任务“开展校园安全隐患全面排查”已随计划修订调整，截止日期：2026年9月30日。" in await told.inner_text()
    totals = await dialog.locator("[data-test=revision-totals]").inner_text()
    assert f"变更：市级 1 · 区县 {reached} · 学校 {schools}" in totals and f"共 {1 + reached + schools} 个单位收到通知" in totals
    await browser.shot(page, "city-revision-preview")
    await dialog.locator("[data-test=publish-revision-confirm]").click()
    await toast(page, "已发布第 2 版")
    await page.goto(f"{stack.url}/plans")
    await page.locator("[data-test=plan-table] .el-tag", has_text="已发布").wait_for()
    await browser.shot(page, "city-plans")


async def test_district_inbox_acknowledges_and_redispatches_to_two_schools(stack, browser) -> None:
    plan_id = await stack.publish_sample()
    page = await browser.page("haishu")
    assert page.url.endswith("/tasks")  # districts land on their inbox
    for label in ("签收", "转派", "填报"):
        assert await button(page, label).is_visible()
    assert "海曙区" in await page.locator("[data-test=who]").inner_text()
    row = page.locator("[data-test=task-table] .el-table__row", has_text=GROUP_ITEM)
    await row.locator("[data-test=ack]").click()
    await toast(page, "签收成功")
    await row.locator(".el-tag", has_text="已签收").wait_for()
    await browser.shot(page, "district-inbox")

    picked = await stack.schools()
    await row.locator("[data-test=dispatch]").click()
    dialog = page.locator(".el-dialog", has_text="转派给本区学校")
    for s in picked:
        await dialog.locator("[data-test=dispatch-schools]").click()
        await page.keyboard.type(s["name"])
        await page.locator(".el-select-dropdown__item:visible", has_text=s["name"]).first.click()
    await page.keyboard.press("Escape")
    await dialog.locator("[data-test=dispatch-confirm]").click()
    await toast(page, "已转派 2 所学校")
    task = await stack.district_task(plan_id)
    children = await stack.call("GET", "/api/tasks", "haishu", params={"parent_id": task["id"]})
    assert sorted(t["unit_id"] for t in children["items"]) == sorted(s["id"] for s in picked)


async def test_school_acknowledges_reports_with_a_file_and_submits(stack, browser, tmp_path) -> None:
    plan_id = await stack.publish_sample()
    parent, picked = await stack.dispatched(plan_id)
    code = picked[0]["code"]
    task = await stack.school_task(code, parent["id"])
    page = await browser.page(code, phone=True)
    assert page.url.endswith("/tasks")
    card = page.locator("[data-test=task-cards] .el-card", has_text=GROUP_ITEM)
    await card.locator("[data-test=ack]").click()
    await toast(page, "签收成功")
    await page.locator(".el-message").first.wait_for(state="hidden")  # the README's picture, without the toast
    await browser.shot(page, "school-phone")
    await page.goto(f"{stack.url}/tasks/{task['id']}")
    await page.locator("[data-test=open-report]").click()
    form = page.locator("[data-test=report-form]")
    await form.locator(".el-slider .el-input-number input").fill("60")
    await form.locator(".el-input-number input").nth(1).fill("3")
    await fill(page, "report-note", "已组建教育集团3个")
    evidence = tmp_path / "集团化办学佐证.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    await form.locator("input[type=file]").set_input_files(str(evidence))
    await form.locator(".el-upload-list__item.is-success").wait_for()
    await form.locator("[data-test=report-save]").click()
    await toast(page, "填报已保存")
    await page.locator("[data-test=open-submit]").click()
    await fill(page, "reason-input", "按期完成")
    await page.locator(".el-dialog:visible [data-test=reason-confirm]").click()
    await toast(page, "提交成功")
    await page.locator("[data-test=task-status]", has_text="已提交").wait_for()
    assert "提交" in await page.locator("[data-test=timeline]").inner_text()
    t = await stack.call("GET", f"/api/tasks/{task['id']}", code)
    assert t["status"] == "submitted"


async def test_district_returns_school_resubmits_district_approves(stack, browser) -> None:
    plan_id = await stack.publish_sample()
    parent, picked = await stack.dispatched(plan_id)
    code = picked[0]["code"]
    task = await stack.school_task(code, parent["id"])
    await stack.submitted(code, task["id"])

    district = await browser.page("haishu", path=f"/tasks/{parent['id']}")
    board = district.locator("[data-test=children-board]")
    row = board.locator(".el-table__row", has_text=picked[0]["name"])
    await row.locator("[data-test=child-return]").click()
    await fill(district, "reason-input", "请补充佐证材料")
    await district.locator(".el-dialog:visible [data-test=reason-confirm]").click()
    await row.locator(".el-tag", has_text="已退回").wait_for()

    school = await browser.page(code, phone=True, path=f"/tasks/{task['id']}")
    await school.locator("[data-test=returned-reason]", has_text="请补充佐证材料").wait_for()
    await browser.shot(school, "school-returned")
    await school.locator("[data-test=open-submit]").click()
    await fill(school, "reason-input", "已补充")
    await school.locator(".el-dialog:visible [data-test=reason-confirm]").click()
    await school.locator("[data-test=task-status]", has_text="已提交").wait_for()

    await district.reload()
    await row.locator("[data-test=child-approve]").click()
    await row.locator(".el-tag", has_text="已办结").wait_for()
    t = await stack.call("GET", f"/api/tasks/{task['id']}", code)
    assert t["status"] == "completed"
    assert any("请补充佐证材料" in (e.get("reason") or e.get("note") or "") for e in t["timeline"])


async def test_school_asks_for_more_time_and_the_district_decides(stack, browser) -> None:
    plan_id = await stack.publish_sample()
    parent, (first, second) = await stack.dispatched(plan_id)
    task = await stack.school_task(first["code"], parent["id"])
    other = await stack.school_task(second["code"], parent["id"])
    for code, t in ((first["code"], task), (second["code"], other)):
        await stack.call("POST", f"/api/tasks/{t['id']}/acknowledge", code)

    # The school asks on its phone (延期申请).
    school = await browser.page(first["code"], phone=True, path=f"/tasks/{task['id']}")
    await school.locator("[data-test=open-extension]").click()
    ask = school.locator(".el-dialog:visible")
    await ask.locator(".el-date-editor input").fill("2027-01-15")
    await ask.locator(".el-date-editor input").press("Enter")
    await fill(school, "reason-input", "校舍改造推迟，需延后两周")
    await ask.locator("[data-test=reason-confirm]").click()
    await school.locator("[data-test=pending-extension]", has_text="延至 2027-01-15").wait_for()
    assert not await school.locator("[data-test=open-extension]").is_visible()  # one open request at a time

    # The district (the issuer) is told, opens the task from the notice and grants it.
    async def told() -> bool:
        page = await stack.call("GET", "/api/notifications", "haishu")
        return any(n["kind"] == "extension_requested" and n["task_id"] == task["id"] for n in page["items"])

    await eventually(told, what="the district's notice of the request")
    district = await browser.page("haishu", path="/notifications")
    notice = district.locator("[data-test=notice-table] .el-table__row", has_text="延期申请").first
    assert "2027年1月15日" in await notice.inner_text()
    await notice.locator("button", has_text="查看任务").click()
    await district.wait_for_url(re.compile(f"/tasks/{task['id']}$"))
    await district.locator("[data-test=pending-extension]", has_text="校舍改造推迟").wait_for()
    await district.locator("[data-test=ext-approve]").click()
    await toast(district, "审批延期成功")
    await district.locator("[data-test=pending-extension]").wait_for(state="hidden")

    # The school sees its new due date.
    await school.reload()
    await school.locator("[data-test=task-due]", has_text="2027-01-15").wait_for()
    assert "同意延期，截止日期调整为 2027-01-15" in await school.locator("[data-test=timeline]").inner_text()
    await browser.shot(school, "school-extension-granted")

    # The other school's request is refused with a reason: its date stays, and it sees why.
    await stack.call("POST", f"/api/tasks/{other['id']}/extension", second["code"], json={"due_date": "2027-02-01", "reason": "人手不足"})
    await district.goto(f"{stack.url}/tasks/{other['id']}")
    await district.locator("[data-test=ext-refuse]").click()
    await fill(district, "reason-input", "请按原计划完成")
    await district.locator(".el-dialog:visible [data-test=reason-confirm]").click()
    await district.locator("[data-test=pending-extension]").wait_for(state="hidden")
    refused = await browser.page(second["code"], phone=True, path=f"/tasks/{other['id']}")
    timeline = refused.locator("[data-test=timeline]")
    await timeline.get_by_text(f"不同意延期，截止日期仍为 {other['due_date']}").wait_for()
    assert "请按原计划完成" in await timeline.inner_text()
    assert await refused.locator("[data-test=task-due]").inner_text() == other["due_date"]


async def test_badge_updates_live_without_a_reload(stack, browser) -> None:
    await stack.publish_sample()
    page = await browser.page("haishu")
    badge = page.locator("[data-test=unread-badge] sup")
    await badge.wait_for()
    before = int(await badge.inner_text())
    await page.evaluate("window.__stay = 1")
    plan = await stack.import_plan()
    await stack.call("POST", f"/api/plans/{plan['id']}/publish", "city")

    async def grew() -> bool:
        text = await badge.inner_text()
        return text.isdigit() and int(text) > before

    await eventually(grew, what="the unread badge to grow")
    assert await page.evaluate("window.__stay") == 1  # same page, no reload
    row = page.locator("[data-test=task-table] .el-table__row", has_text=GROUP_ITEM)
    await eventually(lambda: _count(row, 2), what="the new plan's task in the inbox without a reload")


async def _count(loc: Any, n: int) -> bool:
    return await loc.count() >= n


async def test_city_dashboard_shows_the_change(stack, browser) -> None:
    plan_id = await stack.publish_sample()

    async def reported() -> bool:
        r = await stack.api.get(f"/api/reports/plans/{plan_id}/summary", headers=await stack.login("city"))
        return r.status_code == 200 and r.json()["totals"]["tasks"] > 0

    await eventually(reported, what="the plan's summary")
    page = await browser.page("city", path=f"/dashboard?plan={plan_id}")
    totals = page.locator("[data-test=dash-totals]")
    await totals.wait_for()
    acked = totals.locator(".stat", has_text="已签收").locator(".num")
    before = int(await acked.inner_text())
    await page.locator("[data-test=drill] .el-table__row", has_text=GROUP_ITEM).click()
    await page.locator("[data-test=drill] .el-table__row", has_text="海曙区").wait_for()  # plan → item → district
    task = await stack.district_task(plan_id)
    await stack.call("POST", f"/api/tasks/{task['id']}/acknowledge", "haishu")

    async def changed() -> bool:
        text = await acked.inner_text()
        return text.isdigit() and int(text) > before

    await eventually(changed, timeout=40, what="the dashboard to show the acknowledgement")
    await page.evaluate("document.querySelector('.el-main').scrollTo(0, 0)")
    await browser.shot(page, "city-dashboard")


async def test_expired_session_returns_to_login_and_back_to_the_page(stack, browser) -> None:
    page = await browser.page("haishu", path="/notifications")
    assert page.url.endswith("/notifications")
    browser.expect_error("status of 401")  # the request that finds the session gone
    await page.context.add_cookies([{"name": "duban_session", "value": "expired", "url": stack.url}])
    await page.get_by_role("radio", name=re.compile("未读")).click(force=True)
    await page.wait_for_url(re.compile(r"/login\?.*redirect=(%2F|/)notifications"))
    assert await page.get_by_text("登录已过期，请重新登录").is_visible()
    await page.fill("input[name=username]", "haishu")
    await page.fill("input[name=password]", "demo")
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(r"/notifications$"))
    await page.locator("[data-test=who]").click()
    await page.locator(".el-dropdown-menu__item", has_text="退出登录").click()
    await page.wait_for_url(re.compile(r"/login"))
    await page.goto(f"{stack.url}/tasks")
    await page.wait_for_url(re.compile(r"/login\?redirect=(%2F|/)tasks"))  # the cookie is gone


async def test_lost_connection_shows_a_banner_and_sends_the_action_later(stack, browser) -> None:
    plan_id = await stack.publish_sample()
    page = await browser.page("haishu")
    row = page.locator("[data-test=task-table] .el-table__row", has_text=GROUP_ITEM)
    await row.locator("[data-test=ack]").wait_for()
    # The browser logs each request that fails while offline: that is the simulation, not a page bug.
    browser.expect_error("ERR_INTERNET_DISCONNECTED")
    await page.context.set_offline(True)
    await row.locator("[data-test=ack]").click()
    banner = page.locator("[data-test=offline-banner]")
    await banner.wait_for()
    assert "1 项操作等待发送" in await banner.inner_text()
    await page.context.set_offline(False)
    await banner.wait_for(state="hidden", timeout=30_000)
    await toast(page, "签收成功")
    task = await stack.district_task(plan_id)
    assert (await stack.call("GET", f"/api/tasks/{task['id']}", "haishu"))["status"] == "acknowledged"


LANDINGS = (("city", "/plans", ("导入", "发布")), ("d-jjc", "/plans", ()), ("haishu", "/tasks", ("签收", "转派", "填报")),
            ("haishu-p001", "/tasks", ("签收", "填报")))


async def test_each_role_lands_on_its_work_list_with_its_unit_and_role_in_chinese(stack, browser) -> None:
    await stack.publish_sample()
    names = {"city": ("明州市教育局", "计划管理员"), "d-jjc": ("基础教育处", "处室"), "haishu": ("海曙区教育局", "区县"),
             "haishu-p001": ("", "学校")}
    for user, landing, labels in LANDINGS:
        page = await browser.page(user)
        assert page.url.endswith(landing), (user, page.url)
        for label in labels:
            assert await button(page, label).is_visible(), (user, label)
        unit, role = names[user]
        who = await page.locator("[data-test=who]").inner_text()
        assert unit in who and role in who, (user, who)
        await browser.shot(page, f"{user}-home")
        await page.context.close()
    school = await browser.page("haishu-p001", phone=True)
    assert await button(school, "签收").is_visible() or await school.locator("[data-test=task-cards]").is_visible()
    width = await school.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the school's page must fit a phone without sideways scrolling"
    await browser.shot(school, "school-phone-home")


PAGES = {"city": ("/plans", "/dashboard", "/tasks", "/review", "/notifications", "/channels"),
         "haishu": ("/tasks", "/review", "/dashboard", "/notifications", "/channels"),
         "haishu-p001": ("/tasks", "/notifications", "/channels")}


async def test_every_page_of_every_role_renders_without_console_errors(stack, browser) -> None:
    plan_id = await stack.publish_sample()
    task = await stack.district_task(plan_id)
    for user, paths in PAGES.items():
        page = await browser.page(user)
        for path in paths:
            await page.goto(f"{stack.url}{path}")
            await page.locator(".el-main .el-card").first.wait_for()
            await page.wait_for_load_state("networkidle")
        if user != "haishu-p001":
            await page.goto(f"{stack.url}/tasks/{task['id']}")
            await page.locator("[data-test=timeline]").wait_for()
            await browser.shot(page, f"{user}-task-detail")
            await page.goto(f"{stack.url}/plans/{plan_id}" if user == "city" else f"{stack.url}/tasks")
            await page.wait_for_load_state("networkidle")
        await page.context.close()
    # The assertion is the browser fixture's: no page logged an error.
