"""Provider, platform operator, auditor and the public dashboard in the browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from webui import Server, shot, sign_in

pytestmark = pytest.mark.browser


def test_the_public_dashboard_draws_its_charts_and_offers_csv_without_sign_in(page: Page, server: Server) -> None:
    page.goto("/dashboard")
    expect(page.locator("h1")).to_have_text("平台数据看板")
    expect(page.locator("[data-rendered='1']")).to_have_count(5)
    assert int(page.locator("[data-testid=orgs-served]").inner_text()) >= 4
    with page.expect_download() as download:
        page.click("a:has-text('下载 CSV')")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("section,key,value") and "device_hours_by_center" in text
    shot(page, "dashboard-zh")
    page.goto("/dashboard?lang=en")
    expect(page.locator(".gtitle").first).to_have_text("Device-hours delivered per center")
    shot(page, "dashboard-en")


def test_provider_sees_its_offerings_orders_utilisation_and_statements(page: Page, server: Server) -> None:
    sign_in(page, server, "aicc", "en")
    page.click("nav >> text=My center")
    expect(page.locator("h2").first).to_contain_text("Chengdu Intelligent Computing Center")  # a name, not the handle
    expect(page.locator("table").first).to_contain_text("¥")
    expect(page.locator("#chart-utilisation[data-rendered='1']")).to_be_visible()
    shot(page, "provider-en")
    page.goto("/provider?lang=zh_CN")
    expect(page.locator("h1")).to_have_text("我的算力中心")
    expect(page.locator("text=资源与价格").first).to_be_visible()
    # 1,024 Ascend cards and no CPU pool: cards are counted as cards, never summed with CPU cores
    expect(page.locator("[data-testid=busy-chengdu-aicc]")).to_contain_text(re.compile(r"加速卡占用: \d+ / 1024"))
    expect(page.locator("[data-testid=busy-chengdu-aicc]")).not_to_contain_text("CPU")


def test_operator_checks_a_center_and_lists_users_with_roles(page: Page, server: Server) -> None:
    sign_in(page, server, "operator")
    page.click("nav >> text=算力中心")
    page.click("button[aria-label='检查 本机算力节点 的健康状况']")
    expect(page.locator("p.notice")).to_contain_text("本机算力节点")
    expect(page.locator("[data-testid=health-local]")).to_contain_text("正常")
    shot(page, "operator-centers-zh")
    page.click("nav >> text=用户与角色")
    expect(page.locator("tr", has_text="finance")).to_contain_text("财政部门经办人")
    page.click("#lang-toggle")
    expect(page.locator("tr", has_text="finance")).to_contain_text("Finance officer")


def test_auditor_verifies_a_receipt_in_the_browser_and_catches_a_tampered_one(page: Page, server: Server) -> None:
    sign_in(page, server, "auditor", "en")
    page.click("nav >> text=Transparency log")
    assert int(page.locator("[data-testid=tree-size]").inner_text()) > 10
    page.locator("a:has-text('Receipt')").nth(3).click()
    page.click("#verify")
    expect(page.locator("#verdict")).to_have_attribute("data-outcome", "ok")
    expect(page.locator("#verdict")).to_contain_text("Intact")
    shot(page, "receipt-ok-en")
    receipt = page.locator("#receipt")
    receipt.fill(receipt.input_value().replace('"subject": "', '"subject": "X', 1))
    page.click("#verify")
    expect(page.locator("#verdict")).to_have_attribute("data-outcome", "bad-leaf")
    page.goto(page.url + "?lang=zh_CN")
    page.click("#verify")
    expect(page.locator("#verdict")).to_have_text("验证通过：该事件在日志中，且树头由此公钥签名。")
    shot(page, "receipt-ok-zh")
