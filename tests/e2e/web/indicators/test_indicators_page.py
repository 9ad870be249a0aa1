"""The industry indicator pages in the browser: the public page in Chinese and English with its charts
(Plotly served locally) and XLSX download; the officer enters a figure and a period that does not exist
is refused in the reader's language naming it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from webui import Server, shot, sign_in

pytestmark = pytest.mark.browser


def test_the_public_page_shows_progress_against_target_in_chinese_and_english(page: Page, server: Server) -> None:
    # ten charts, Plotly renders after; the first page of a fresh server may wait for the workers' first ticks
    page.goto("/indicators", wait_until="domcontentloaded", timeout=60_000)
    expect(page.locator("h1")).to_have_text("产业指标")
    scale = page.locator("section[data-indicator=ai-industry-scale]")
    expect(scale.locator("h2")).to_contain_text("人工智能产业规模")
    expect(scale.locator("td[data-year='2022']")).to_have_text("616")
    expect(scale.locator("tr", has_text="2024")).to_contain_text("900")
    expect(page.locator("section[data-indicator=supercomputing-users] tr", has_text="2023")).to_contain_text("+50.1%")
    expect(page.locator("#chart-ai-industry-scale[data-rendered='1'] .main-svg").first).to_be_visible(timeout=30_000)
    with page.expect_download() as download:
        page.click("#indicators-xlsx")
    assert download.value.suggested_filename == "suanli-indicators.xlsx"
    shot(page, "indicators-zh")
    with page.expect_navigation(wait_until="domcontentloaded", timeout=60_000):
        page.click("#lang-toggle", no_wait_after=True)
    expect(page.locator("h1")).to_have_text("Industry indicators")
    expect(page.locator("section[data-indicator=ai-industry-scale] h2")).to_contain_text("AI industry scale")
    shot(page, "indicators-en")


def test_the_officer_enters_a_figure_and_an_unknown_period_is_refused(page: Page, server: Server) -> None:
    sign_in(page, server, "officer")
    page.goto("/indicators/manage", wait_until="domcontentloaded", timeout=60_000)
    page.select_option("#code", "ai-core-industry-scale")
    page.fill("#period", "2031")
    page.fill("#value", "1000")
    with page.expect_navigation(wait_until="domcontentloaded", timeout=60_000):
        page.click("#figure-form button[type=submit]", no_wait_after=True)
    expect(page.locator("p.error")).to_contain_text("2031")
    page.fill("#period", "2024")
    with page.expect_navigation(wait_until="domcontentloaded", timeout=60_000):
        page.click("#figure-form button[type=submit]", no_wait_after=True)
    expect(page.locator("p.notice")).to_have_text("数据已保存。")
    core = page.locator("section[data-indicator=ai-core-industry-scale]")
    expect(core.locator("td[data-year='2024']")).to_have_text("1,000")
    expect(core.locator("details")).to_contain_text("officer")
    shot(page, "indicators-officer-zh")
