"""The opportunity board in the browser, in Chinese and in English: search by a two-character word in the
middle of a sentence, open an item, request matching, quote a compute-demand item in one step; the
bureau's officer imports a sheet into a new batch and a second officer publishes it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webui import Server, shot, sign_in

from suanli.domain.opportunities import ItemKind, OpportunityDraft, Track
from suanli.domain.opportunities.table import to_xlsx

pytestmark = pytest.mark.browser


def test_the_public_board_finds_an_item_by_a_word_inside_a_sentence_in_chinese(page: Page, server: Server) -> None:
    page.goto("/opportunities", timeout=60_000)  # a fresh server's first page may wait for the workers' first ticks
    expect(page.locator("h1")).to_have_text("人工智能机会清单")
    expect(page.locator("[data-testid=count-demand]")).to_have_text("7")
    page.fill("#q", "路网")  # 全市路网仿真需要GPU算力
    page.click("#opportunity-search button[type=submit]")
    expect(page.locator("[data-testid=result-count]")).to_have_text("共找到 1 条")
    rows = page.locator("[data-testid=opportunities] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("交通仿真大规模算力需求")
    expect(rows.first).to_contain_text("需求")
    expect(rows.first).to_contain_text("算力")
    shot(page, "opportunities-board-zh")


def test_the_board_in_english_keeps_the_items_and_translates_the_page(page: Page, server: Server) -> None:
    page.goto("/opportunities?lang=en&track=datasets")
    expect(page.locator("h1")).to_have_text("AI opportunity list")
    rows = page.locator("[data-testid=opportunities] tbody tr")
    expect(rows).to_have_count(4)  # the demo batch's datasets and corpora, supply and demand
    expect(page.locator("[data-testid=result-count]")).to_have_text("4 items found")
    for i in range(4):
        expect(rows.nth(i)).to_contain_text("Datasets and corpora")
    page.click("#lang-toggle")
    expect(page.locator("h1")).to_have_text("人工智能机会清单")
    shot(page, "opportunities-board-en")


def test_an_organisation_requests_matching_and_quotes_a_compute_demand(page: Page, server: Server) -> None:
    sign_in(page, server, "casit-admin")
    page.goto("/opportunities?q=" + "路网仿真")
    page.click("[data-testid=opportunities] tbody tr a")
    page.wait_for_url(re.compile(r"/opportunities/\d+$"))
    expect(page.locator("[data-testid=compute-need]")).to_contain_text("8 张卡，168")
    page.click("#quote-item")
    expect(page.locator("[data-testid=item-quote] tbody tr").first).to_contain_text("¥")
    page.fill("#message", "可提供GPU集群合作")
    page.click("#request-match")
    expect(page.locator("p.notice")).to_have_text("对接申请已发送。")
    expect(page.locator("[data-testid=matches]")).to_contain_text("已申请对接")
    page.click("#request-match")
    expect(page.locator("p.error")).to_be_visible()
    shot(page, "opportunity-item-zh")


def test_the_bureau_imports_a_sheet_and_a_second_officer_publishes_it(page: Page, server: Server, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sheet = tmp_path / "第二批.xlsx"
    sheet.write_bytes(to_xlsx([OpportunityDraft(code="2024-S-900", kind=ItemKind.SUPPLY, track=Track.DEVICES,
                                                title="雪山巡护无人机", issuer="甘孜智航科技有限公司", region="康定市",
                                                scenario="生态保护", description="高原长航时巡护无人机，适合大熊猫栖息地巡护")]))
    sign_in(page, server, "officer", "en")
    page.goto("/opportunities/batches")
    page.fill("#title", "Second batch 2024")
    page.click("button:has-text('Create batch')")
    row = page.locator("tr", has_text="Second batch 2024")
    row.locator("input[type=file]").set_input_files(str(sheet))
    row.locator("button:has-text('Import')").click()
    expect(page.locator("p.notice")).to_have_text("1 items imported.")
    page.locator("tr", has_text="Second batch 2024").locator("button:has-text('Submit for review')").click()
    expect(page.locator("tr", has_text="Second batch 2024")).to_contain_text("In review")
    reviewer = browser.new_context(base_url=server.url).new_page()
    sign_in(reviewer, server, "reviewer")
    reviewer.goto("/opportunities/batches")
    reviewer.locator("tr", has_text="Second batch 2024").locator("button[value=publish]").click()
    expect(reviewer.locator("tr", has_text="Second batch 2024")).to_contain_text("已发布")
    reviewer.goto("/opportunities?q=熊猫")
    expect(reviewer.locator("[data-testid=opportunities] tbody tr")).to_contain_text("雪山巡护无人机")
    shot(reviewer, "opportunity-batches-zh")
