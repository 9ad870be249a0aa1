"""Program and finance officers in the browser: load a program file and open its window, review and
grant an application over two stages (four eyes), read the burn-down and forecast, export the
disclosure list; place a reserve fund; prepare, approve and pay a disbursement batch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webui import Server, program_text, shot, sign_in

pytestmark = pytest.mark.browser


def test_program_officer_loads_a_program_and_two_officers_grant_an_application(page: Page, server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server, "officer")
    page.click("nav >> text=算力券项目")
    # The program editor: a GBK file is refused on the form with the reason; a good one comes back in
    # words, and only a second officer may publish it (four eyes).
    page.set_input_files("#file", files=[{"name": "gbk.yaml", "mimeType": "application/yaml",
                                          "buffer": "标题: 成都".encode("gbk")}])
    page.click("button:has-text('校验并提交')")
    expect(page.locator("p.error")).to_contain_text("UTF-8")
    page.set_input_files("#file", files=[])
    page.fill("#text", program_text("chengdu-web-2026b", "成都市算力券（2026年度第二批）", "Chengdu compute vouchers 2026 second round"))
    page.click("button:has-text('校验并提交')")
    page.wait_for_url(re.compile(r"/programs/drafts/\d+$"))
    expect(page.locator("[data-testid=program-words]")).to_contain_text("年度总额")
    expect(page.locator("[data-testid=draft-status]")).to_have_text("待发布")
    expect(page.locator("button:has-text('发布此项目')")).to_have_count(0)
    shot(page, "program-draft-zh")
    publisher = browser.new_context(base_url=server.url).new_page()
    sign_in(publisher, server, "reviewer")
    publisher.goto(page.url)
    publisher.click("button:has-text('发布此项目')")
    publisher.wait_for_url(re.compile(r"/programs/\d+$"))
    page.goto(publisher.url)
    expect(page.locator("[data-testid=program-status]")).to_have_text("已导入")
    page.click("button:has-text('开放申领窗口')")
    expect(page.locator("[data-testid=program-status]")).to_have_text("开放中")
    program_url = page.url

    applicant = browser.new_context(base_url=server.url).new_page()
    sign_in(applicant, server, "zhixing-admin", "en")
    applicant.goto("/vouchers")
    applicant.select_option("#program_id", label="Chengdu compute vouchers 2026 second round")
    applicant.fill("#project", "Traffic flow forecasting model")
    applicant.fill("#amount_yuan", "50000")
    applicant.fill("#sector", "transport")
    applicant.click("button:has-text('Apply')")
    expect(applicant.locator("p.notice")).to_contain_text("submitted")

    page.goto("/applications")
    card = page.locator("article", has_text="Traffic flow forecasting model")
    expect(card.locator(".badge.ok")).to_have_text("重点行业")
    card.locator("input[name=score]").fill("85")
    card.locator("button[value=approve]").click()
    expect(page.locator("p.notice")).to_contain_text("评审专家")
    card = page.locator("article", has_text="Traffic flow forecasting model")
    card.locator("button[value=approve]").click()  # the same officer may not act at the second stage
    expect(page.locator("p.error")).to_contain_text("审核操作被拒绝")
    shot(page, "queue-refused-zh")

    reviewer = browser.new_context(base_url=server.url).new_page()
    sign_in(reviewer, server, "reviewer", "en")
    reviewer.goto("/applications")
    reviewer.locator("article", has_text="Traffic flow forecasting model").locator("button[value=approve]").click()
    expect(reviewer.locator("p.notice")).to_contain_text("program officer of the city bureau")
    reviewer.goto("/applications?status=granted")
    expect(reviewer.locator("article", has_text="Traffic flow forecasting model")).to_contain_text("Granted")

    page.goto(program_url)
    expect(page.locator("[data-testid=budget-left]")).to_have_text("¥9,950,000.00")
    expect(page.locator("[data-testid=runs-out]")).not_to_be_empty()
    expect(page.locator("#chart-burn[data-rendered='1'] .main-svg").first).to_be_visible()
    expect(page.locator("table")).to_contain_text("成都智行交通科技有限公司")
    with page.expect_download() as download:
        page.click("a:has-text('下载 CSV')")
    assert download.value.suggested_filename.startswith("disclosure-")
    shot(page, "program-burn-down-zh")
    page.click("#lang-toggle")
    expect(page.locator("[data-testid=program-status]")).to_have_text("Open")
    shot(page, "program-burn-down-en")

    applicant.goto("/vouchers")
    wallet = applicant.locator("tr", has_text="Chengdu compute vouchers 2026 second round")
    expect(wallet.locator("[data-testid=wallet-balance]")).to_have_text("¥50,000.00")
    shot(applicant, "wallet-en")


def _yuan(text: str) -> float:
    return float(text.replace("¥", "").replace(",", ""))


def test_finance_officer_places_a_reserve_fund_and_approves_and_pays_a_batch(page: Page, server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server, "finance")
    page.click("nav >> text=备用金")
    cash = _yuan(page.locator("[data-testid=cash-balance]").inner_text())
    page.select_option("#deposit_program_id", label="成都市算力券（2026年度）")
    page.fill("#deposit_amount_yuan", "1000000")
    page.click("button:has-text('登记入账')")
    expect(page.locator("p.notice")).to_have_text("预算资金已入账。")
    assert _yuan(page.locator("[data-testid=cash-balance]").inner_text()) == cash + 1_000_000
    # A provider the program does not designate is refused on the form, in Chinese, and nothing moves.
    page.select_option("#program_id", label="成都市算力券（2026年度）")
    page.select_option("#provider_id", label="天府商业GPU云")
    page.fill("#amount_yuan", "80000")
    page.click("button:has-text('拨付备用金')")
    expect(page.locator("p.error")).to_contain_text("备用金")
    page.select_option("#program_id", label="成都市算力券（2026年度）")
    page.select_option("#provider_id", label="成都智算中心")
    page.fill("#amount_yuan", "80000")
    page.click("button:has-text('拨付备用金')")
    expect(page.locator("p.notice")).to_have_text("备用金已拨付。")
    row = page.locator("tr", has_text="成都智算中心").filter(has_text="2026")
    expect(row.locator("[data-testid=reserve-balance]")).to_have_text("¥80,000.00")
    shot(page, "reserves-zh")

    operator = browser.new_context(base_url=server.url).new_page()
    sign_in(operator, server, "operator", "en")
    operator.goto("/batches")
    operator.click("button:has-text('Prepare batch')")  # a new batch, or why there is none to prepare
    expect(operator.locator("p.notice, p.error")).to_contain_text(re.compile("prepared|could not be prepared"))
    expect(operator.locator("button:has-text('Approve batch')")).to_have_count(0)  # approving is the finance officer's

    page.goto("/batches")
    drafts = page.locator("article", has=page.locator("[data-testid^=batch-status]", has_text="草稿"))
    expect(drafts.first).to_be_visible()
    number = drafts.first.locator("h2").inner_text().split()[0]
    batch = page.locator("article", has=page.locator("h2", has_text=number))
    batch.locator("button:has-text('审批通过该批次')").click()
    expect(page.locator("p.notice")).to_contain_text("已通过")
    batch.locator("button:has-text('标记为已拨付')").click()
    expect(batch.locator("[data-testid^=batch-status]")).to_have_text("已拨付")
    expect(batch).not_to_contain_text("provider_payable")  # providers by name
    shot(page, "batches-zh")
