"""An organisation in the browser: sign-in, marketplace, a job with a live quote run to the end, a
cancelled job, and vouchers — in Chinese and English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webui import Server, shot, sign_in

pytestmark = pytest.mark.browser


def test_root_sends_strangers_to_sign_in_and_a_wrong_password_is_refused_in_both_languages(page: Page, server: Server) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("登录")
    page.fill("#username", "zhixing-admin")
    page.fill("#password", "wrong-password-1")
    page.click("form.stack button[type=submit]")
    expect(page.locator("p.error")).to_have_text("用户名或密码错误。")
    shot(page, "signin-refused-zh")
    page.click("#lang-toggle")
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_organisation_member_sees_the_marketplace_runs_a_job_with_a_live_quote_and_reads_its_output(page: Page, server: Server) -> None:
    sign_in(page, server, "uestc-student")
    expect(page.locator("h1")).to_contain_text("欢迎")
    page.click("nav >> text=算力市场")
    expect(page.locator("h1")).to_have_text("算力市场")
    expect(page.locator(".badge.sim").first).to_have_text("模拟")
    expect(page.locator("td.n", has_text="¥").first).to_be_visible()
    shot(page, "market-zh")

    page.goto("/jobs/new")
    page.fill("#devices", "8")
    page.check("input[name=ecosystems][value=cuda]")
    best = page.locator("[data-testid=best-option]")
    # The demo's GPU centers are all simulated: the platform offers them only when the user allows it.
    expect(page.locator("#quote p.error")).to_be_visible()
    expect(best).to_have_count(0)
    page.check("#allow_simulated")
    expect(best).to_contain_text("最优方案")
    expect(page.locator("[data-testid=price]")).to_contain_text("¥")
    expect(page.locator("#quote details summary")).to_contain_text("其他资源被排除的原因")
    shot(page, "job-form-quote-zh")

    page.fill("#name", "web-hello")
    page.fill("#command", "echo 'hello from the browser'")
    page.fill("#devices", "1")
    page.uncheck("input[name=ecosystems][value=cuda]")
    page.select_option("#pool", "local/cpu")
    page.click("text=提交作业 >> nth=-1")
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    # Followed live: the page refreshes state and output itself (no reload) until the job ends.
    expect(page.locator("[data-testid=job-state]")).to_have_text("已成功", timeout=90_000)
    expect(page.locator("[data-testid=stdout]")).to_contain_text("hello from the browser")
    expect(page.locator("form[action$='/cancel']")).to_have_count(0)  # an ended job offers no cancel
    shot(page, "job-detail-zh")
    page.click("#lang-toggle")
    expect(page.locator("[data-testid=job-state]")).to_have_text("Succeeded")
    shot(page, "job-detail-en")


def test_a_metered_job_on_a_simulated_center_names_its_center_and_what_the_voucher_paid(page: Page, server: Server) -> None:
    sign_in(page, server, "zhixing-admin")
    page.goto("/jobs?q=城市交通大模型预训练")
    page.click("a:has-text('城市交通大模型预训练')")
    expect(page.locator("[data-testid=simulated]")).to_have_text("模拟")
    expect(page.locator("[data-testid=stdout]")).to_contain_text("国家超级计算成都中心")
    expect(page.locator("main")).not_to_contain_text("is simulated")  # no English sentence, no center slug
    expect(page.locator("main")).not_to_contain_text("nscc-chengdu")
    # 3,072 device-hours at ¥15: the 30% voucher paid ¥13,824 of ¥46,080 (the demo's invoice says the same)
    expect(page.locator("[data-testid=charged-subsidy]")).to_have_text("¥13,824.00")
    expect(page.locator("[data-testid=charged-due]")).to_have_text("¥32,256.00")
    page.click("#lang-toggle")
    expect(page.locator("[data-testid=stdout]")).to_contain_text("is simulated")


def test_organisation_member_cancels_a_long_job_in_english(page: Page, server: Server) -> None:
    sign_in(page, server, "zhixing-dev", "en")
    page.goto("/jobs/new")
    page.fill("#name", "long-sleep")
    page.fill("#command", "sleep 600")
    page.select_option("#pool", "local/cpu")
    page.click("button:has-text('Submit job')")
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    page.once("dialog", lambda dialog: dialog.accept())  # cancel asks for confirmation
    page.click("button:has-text('Cancel job')")
    expect(page.locator("[data-testid=job-state]")).to_have_text(re.compile("Cancelled|Cancelling"))
    page.goto("/jobs")
    expect(page.locator("table")).to_contain_text("long-sleep")
    shot(page, "jobs-en")


def test_organisation_admin_applies_for_vouchers_and_sees_the_rules_that_fired(page: Page, server: Server) -> None:
    sign_in(page, server, "yilian-admin", "en")
    page.click("nav >> text=Vouchers")
    page.select_option("#program_id", label="Chengdu compute vouchers 2026")
    page.fill("#project", "Medical imaging segmentation")
    page.fill("#amount_yuan", "20000")
    page.fill("#sector", "healthcare")
    page.click("button:has-text('Apply')")
    expect(page.locator("p.notice")).to_contain_text("submitted")
    mine = page.locator("tr", has_text="Medical imaging segmentation")
    expect(mine.locator("[data-testid=application-status]")).to_have_text("Submitted")
    mine.locator("summary", has_text="rules").click()
    expect(mine.locator("details[open] li").first).to_be_visible()
    shot(page, "vouchers-en")
    page.goto("/vouchers?lang=zh_CN")
    expect(page.locator("h1")).to_have_text("算力券")
    expect(page.locator("tr", has_text="Medical imaging segmentation").locator("[data-testid=application-status]")).to_have_text("已提交")
