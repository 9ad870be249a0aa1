"""免申即享 in the browser: the bureau records an organisation's facts with their source and date on
its profile page (money typed in yuan, names not keys), the organisation's home page then shows the
no-application award it is eligible for with the calculator's amount and why, in Chinese and English,
without a slug; its administrator only confirms, and the award waits for the disbursement batch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webui import Server, shot, sign_in

pytestmark = pytest.mark.browser
ORG = "四川医联影像科技有限公司"
ITEM = "ai-2024-revenue-thresholds"


def _record(page: Page, kind: str, year: str, value: str) -> None:
    page.fill("#organisation", ORG)
    page.select_option("#kind", kind)
    page.fill("#year", year)
    page.fill("#value", value)
    page.fill("#source", "2025年度审计报告（蜀信会计师事务所）")
    page.fill("#as_of", "2026-04-30")
    page.click("#fact-form button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("已记录档案事项。")


def test_the_bureau_records_facts_and_the_organisation_only_confirms(page: Page, server: Server) -> None:
    sign_in(page, server, "officer")
    page.goto("/awards/profile", timeout=60_000)
    expect(page.locator("h1")).to_have_text("企业档案")
    page.fill("#organisation", ORG)
    page.select_option("#kind", "revenue_fen")
    page.fill("#year", "2025")
    page.fill("#value", "not money")
    page.fill("#source", "2025年度审计报告")
    page.click("#fact-form button[type=submit]")
    expect(page.locator("p.error")).to_be_visible()  # refused in the reader's language, nothing recorded
    _record(page, "revenue_fen", "2025", "320,000,000")
    _record(page, "ai_revenue_share_pct", "2025", "65")
    facts = page.locator("[data-testid=profile-facts]")
    expect(facts).to_contain_text("2025 年主营业务收入")
    expect(facts).to_contain_text("¥320,000,000.00")
    expect(facts).to_contain_text("2025 年人工智能业务收入占比")
    expect(facts).not_to_contain_text("revenue_fen")
    shot(page, "award-profile-zh")

    page.context.clear_cookies()
    sign_in(page, server, "yilian-admin")
    section = page.locator("[data-testid=home-policy]")
    card = section.locator(f"article[data-item={ITEM}]")
    expect(card.locator("h3")).to_have_text("人工智能企业营收跨越奖励")
    expect(card.locator(f"[data-testid=amount-{ITEM}]")).to_have_text("¥100,000.00")
    expect(card.locator(f"[data-testid=why-{ITEM}]")).to_contain_text("2025年度审计报告（蜀信会计师事务所）")
    expect(card.locator(f"[data-testid=why-{ITEM}]")).to_contain_text("首次达到 ¥300,000,000.00")
    expect(card).to_contain_text("免申即享")
    text = section.inner_text()
    assert not re.search(r"ai-20\d\d|revenue_fen|_pct|[a-z]+-[a-z]+-[a-z]+", text), text  # names, never slugs
    shot(page, "home-policy-matches-zh")
    card.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/home\?confirmed="))
    expect(section.locator("p.notice")).to_contain_text("已确认")
    mine = section.locator("[data-testid=my-awards]")
    expect(mine).to_contain_text("人工智能企业营收跨越奖励")
    expect(mine).to_contain_text("¥100,000.00")
    expect(mine).to_contain_text("待拨付")
    expect(section.locator(f"article[data-item={ITEM}]")).to_have_count(0)  # the threshold is now claimed

    page.goto("/home?lang=en")
    section = page.locator("[data-testid=home-policy]")
    expect(section.locator("h2").first).to_have_text("Policy matches for your organisation")
    expect(section.locator("[data-testid=my-awards]")).to_contain_text("AI enterprise revenue threshold award")
    expect(section.locator("[data-testid=my-awards]")).to_contain_text("Awaiting the disbursement batch")
    shot(page, "home-policy-matches-en")
    page.goto("/home?lang=zh_CN")
