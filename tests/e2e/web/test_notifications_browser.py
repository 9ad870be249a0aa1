"""The inbox in the browser (Chromium): the worker's notifier tells the finance officer of the batch
awaiting approval; the header shows the unread count, the notice opens the batch page and is then
read; the settings refuse a bad address in Chinese and save the person's choices."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webui import Server, shot, sign_in

pytestmark = pytest.mark.browser


def test_the_finance_officer_is_told_of_the_batch_and_chooses_what_arrives(page: Page, server: Server) -> None:
    sign_in(page, server, "finance")
    count = page.locator("[data-testid=unread-count]")
    for _ in range(80):  # the worker's notifications step runs at start, then every 30 s
        if count.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(count).to_be_visible()
    unread = int(count.inner_text())
    assert unread >= 1
    page.click("[data-testid=inbox-link]")
    expect(page.locator("h1")).to_have_text("通知")
    notice = page.locator("[data-testid=inbox] li.unread", has_text="待审批").first
    expect(notice).to_contain_text(re.compile(r"拨付批次 BAT\d+-\d+ 待审批（合计 ¥[\d,]+\.\d\d）"))
    expect(notice).to_contain_text("拨付批次待审批")
    shot(page, "notifications-zh")
    notice.locator("button", has_text="查看详情").click()
    expect(page).to_have_url(re.compile(r"/batches$"))
    if unread == 1:
        expect(page.locator("[data-testid=unread-count]")).to_have_count(0)
    else:
        expect(page.locator("[data-testid=unread-count]")).to_have_text(str(unread - 1))

    page.goto("/notifications/settings")
    expect(page.locator("h1")).to_have_text("通知设置")
    expect(page.locator("#inbox-batch_awaiting_approval")).to_be_checked()
    page.fill("#email", "not-an-address@")
    page.evaluate("document.querySelector('#email').type = 'text'")  # past the browser's own check: the server's
    page.click("form.stack button[type=submit]")
    expect(page.locator("p.error")).to_have_text("电子邮箱格式不正确。")
    page.fill("#email", "finance@cdczj.example")
    page.uncheck("#mail-batch_awaiting_approval")
    page.click("form.stack button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("设置已保存。")
    expect(page.locator("#email")).to_have_value("finance@cdczj.example")
    expect(page.locator("#mail-batch_awaiting_approval")).not_to_be_checked()
    expect(page.locator("#inbox-batch_awaiting_approval")).to_be_checked()


def test_a_webhook_is_refused_in_chinese_then_added_with_its_secret_and_removed(
        page: Page, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(page, server, "finance")
    page.goto("/notifications/settings")
    page.evaluate("document.querySelector('#url').type = 'text'")  # past the browser's own check: the server's
    page.fill("#url", "ftp://hooks.cdczj.example/")
    page.check("#hook-batch_awaiting_approval")
    page.click("text=添加回调")
    expect(page.locator("p.error")).to_have_text("回调地址须以 https:// 或 http:// 开头。")
    page.fill("#url", "http://169.254.169.254/latest/meta-data")  # the SSRF rule: not into the platform's network
    page.check("#hook-batch_awaiting_approval")
    page.click("text=添加回调")
    expect(page.locator("p.error")).to_have_text(re.compile("^回调地址指向内网或保留地址"))
    # The operator allows the bureau's receiver by name (its name does not resolve here).
    monkeypatch.setenv("SUANLI_WEBHOOK_ALLOWED_TARGETS", "hooks.cdczj.example")
    page.fill("#url", "https://hooks.cdczj.example/suanli")
    page.check("#hook-batch_awaiting_approval")
    page.click("text=添加回调")
    expect(page.locator("p.notice")).to_have_text("设置已保存。")
    row = page.locator("[data-testid=webhooks] tbody tr", has_text="https://hooks.cdczj.example/suanli")
    expect(row).to_contain_text("拨付批次待审批")
    expect(row.locator("code.wrap")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    shot(page, "notification-settings-zh")
    row.locator("button", has_text="删除").click()
    expect(page.locator("[data-testid=webhooks]")).to_contain_text("尚未设置回调。")
