"""Award pages in the browser: the officer's award desk (decided claims with the rules that fired; a
threshold claim decided, the same again refused naming the rule) and the enterprise's policy matches,
in Chinese and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from webui import Server, shot, sign_in

pytestmark = pytest.mark.browser


def test_the_enterprise_sees_its_policy_matches_and_why(page: Page, server: Server) -> None:
    sign_in(page, server, "zhixing-admin")
    page.goto("/awards/matches?year=2024", timeout=60_000)
    expect(page.locator("h1")).to_have_text("政策计算器")
    expect(page.locator("[data-testid='amount-ai-2024-revenue-thresholds']")).to_have_text("¥300,000.00")
    expect(page.locator("[data-testid=policy-matches]")).to_contain_text("免申即享")
    expect(page.locator("[data-testid=policy-matches]")).to_contain_text("2024年度审计报告")
    shot(page, "policy-matches-zh")
    page.goto("/awards/matches?year=2024&lang=en")
    expect(page.locator("h1")).to_have_text("Policy matches")
    expect(page.locator("[data-testid=policy-matches]")).to_contain_text("No application needed")
    shot(page, "policy-matches-en")


def test_the_officer_decides_a_claim_and_a_second_one_for_the_threshold_is_refused(page: Page, server: Server) -> None:
    sign_in(page, server, "officer")
    page.goto("/awards", timeout=60_000)
    expect(page.locator("[data-testid=decided]")).to_contain_text("大模型备案奖励 · 第 1 名")
    page.fill("#organisation", "成都智行交通科技有限公司")
    page.select_option("#item", "ai-2024-revenue-thresholds")
    page.fill("#basis", "revenue:zhixing:2024")
    page.fill("#evidence", "audited-revenue")
    page.click("#award-form button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("已核定奖励：¥300,000.00")
    page.fill("#organisation", "成都智行交通科技有限公司")
    page.select_option("#item", "ai-2024-revenue-thresholds")
    page.fill("#basis", "revenue:zhixing:2024-b")
    page.fill("#evidence", "audited-revenue")
    page.click("#award-form button[type=submit]")
    expect(page.locator("p.error")).to_contain_text("每档限享受一次")
    shot(page, "award-desk-zh")
    page.goto("/awards?lang=en")
    expect(page.locator("h1")).to_have_text("Incentive awards")
    expect(page.locator("[data-testid=decided]")).to_contain_text("Large-model national registration award · place 1")
