"""The data exchange in the browser, in Chinese and English: a firm registers as a supplier and its
product, the assessor reviews it into the public notice, anyone objects during a notice, and a buyer
orders and downloads a dataset whose SHA-256 matches its certificate."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from webui import Server, shot, sign_in

pytestmark = pytest.mark.browser

TEXT = {
    "zh_CN": {"applied": "数商角色申请已提交。", "pending": "待审批", "approved": "审批结果已记录。",
              "registered": "数据产品已登记。", "uploaded": "版本已上传。", "missing": "缺少必需的合规材料。",
              "submitted": "版本已提交合规评估。", "stage": "评估环节结论已记录。", "notice": "公示中",
              "objected": "异议已提交，运营方将予以处理。", "licence": "请检查填写内容。", "ordered": "订单已下达并完成结算。",
              "exchange": "数据交易所", "supplier": "数据提供方"},
    "en": {"applied": "Your application for the role was submitted.", "pending": "Pending",
           "approved": "The decision was recorded.", "registered": "The product was registered.",
           "uploaded": "The version was uploaded.", "missing": "Required compliance evidence is missing.",
           "submitted": "The version was submitted for compliance review.", "stage": "The stage decision was recorded.",
           "notice": "Under public notice", "objected": "Your objection was lodged; the operator will resolve it.",
           "licence": "Please check the form.", "ordered": "The order was placed and settled.",
           "exchange": "Data exchange", "supplier": "Data supplier"},
}
LANGS = [pytest.param("zh_CN", "jinjiang-admin", id="zh"), pytest.param("en", "uestc-admin", id="en")]
CSV = "区县,客流\n锦江区,12034\n武侯区,9876\n".encode()


def as_user(page: Page, server: Server, username: str, lang: str) -> None:
    page.context.clear_cookies()
    sign_in(page, server, username, lang)


@pytest.mark.parametrize(("lang", "supplier"), LANGS)
def test_a_firm_registers_as_supplier_and_its_product_is_reviewed_into_the_public_notice(
        page: Page, server: Server, lang: str, supplier: str) -> None:
    t = TEXT[lang]
    title = f"浏览器测试产品-{lang}"
    as_user(page, server, supplier, lang)
    page.click(f"nav >> text={t['exchange']}")
    expect(page.locator("h1")).to_have_text(t["exchange"])
    page.goto("/exchange/my")
    page.select_option("#role", "supplier")
    page.click("form[action='/exchange/roles'] button")
    expect(page.locator("p.notice")).to_have_text(t["applied"])
    expect(page.locator("[data-testid=membership]", has_text=t["supplier"])).to_contain_text(t["pending"])

    as_user(page, server, "operator", lang)
    page.goto("/exchange/operator")
    page.locator("[data-testid=pending-role]").first.locator("button[value=yes]").click()
    expect(page.locator("p.notice")).to_have_text(t["approved"])

    as_user(page, server, supplier, lang)
    page.goto("/exchange/my")
    page.click("details summary")
    for name, value in (("title", title), ("sector", "交通"), ("source", "自有闸机系统"), ("legal_basis", "数据授权协议"),
                        ("update_frequency", "每日")):
        page.fill(f"#p-{name}", value)
    page.fill("#p-description", "按区县汇总的客流，用于规划。")
    page.select_option("#p-pi_level", "none")
    page.select_option("#p-delivery_mode", "dataset")
    page.select_option("#p-price_model", "per_download")
    page.fill("#p-price_yuan", "500")
    page.fill("#p-licence", "仅限内部使用")
    page.click("form[action='/exchange/products'] button")
    expect(page.locator("p.notice")).to_have_text(t["registered"])
    card = page.locator("[data-testid=my-product]", has_text=title)
    card.locator("input[name=label]").fill("v1")
    card.locator("input[type=file]").set_input_files({"name": "data.csv", "mimeType": "text/csv", "buffer": CSV})
    card.locator("form[enctype] button").click()
    expect(page.locator("p.notice")).to_have_text(t["uploaded"])
    card = page.locator("[data-testid=my-product]", has_text=title)
    card.locator("form[action$='/submit'] button").click()  # no evidence given: refused, nothing changes
    expect(page.locator("p.error")).to_contain_text(t["missing"])
    card = page.locator("[data-testid=my-product]", has_text=title)
    for kind in ("source_legality", "authorisation", "security_level"):
        card.locator(f"input[name=evidence_{kind}]").fill("证明材料")
    card.locator("form[action$='/submit'] button").click()
    expect(page.locator("p.notice")).to_have_text(t["submitted"])
    shot(page, f"exchange-supplier-{lang}")

    as_user(page, server, "assessor", lang)
    page.goto("/exchange/review")
    for stage in ("source_legality", "authorisation", "security_level"):
        item = page.locator("[data-testid=review-item]", has_text=title)
        item.locator(f"[data-testid=pass-{stage}]").click()
        expect(page.locator("p.notice")).to_have_text(t["stage"])
    expect(page.locator("[data-testid=review-item]", has_text=title)).to_have_count(0)
    shot(page, f"exchange-review-{lang}")
    page.goto(f"/exchange?lang={lang}")
    page.locator("[data-testid=notice-row]", has_text=title).locator("a").click()
    expect(page.locator("[data-testid=version-status]")).to_contain_text(t["notice"])


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_anyone_lodges_an_objection_during_the_notice_and_the_operator_sees_it(page: Page, server: Server,
                                                                               lang: str) -> None:
    t = TEXT[lang]
    page.goto(f"/exchange?lang={lang}")
    page.locator("[data-testid=notice-row]", has_text="企业用电月度指数").locator("a").click()
    page.fill("#obj-name", f"市民-{lang}")
    page.fill("#obj-contact", "citizen@example.cn")
    page.fill("#obj-reason", "行业分类口径存疑")
    page.click("form[action$='/objections'] button")
    expect(page.locator("p.notice")).to_have_text(t["objected"])
    shot(page, f"exchange-objection-{lang}")
    as_user(page, server, "operator", lang)
    page.goto("/exchange/operator")
    expect(page.locator("[data-testid=open-objection]", has_text=f"市民-{lang}")).to_have_count(1)


@pytest.mark.parametrize(("lang", "buyer"), [pytest.param("zh_CN", "maker-admin", id="zh"),
                                             pytest.param("en", "rongsuan-admin", id="en")])
def test_a_buyer_orders_under_contract_and_downloads_bytes_matching_the_certificate(page: Page, server: Server,
                                                                                    lang: str, buyer: str) -> None:
    t = TEXT[lang]
    as_user(page, server, buyer, lang)
    page.goto("/exchange")
    page.fill("#q", "客流")  # a two-character word in the middle of the description
    page.click("form[role=search] button")
    page.locator("[data-testid=product-row]", has_text="成都市轨道交通客流数据").locator("a").click()
    expected = page.locator("[data-testid=version-sha256]").first.inner_text().strip()
    expect(page.locator("[data-testid=certificate-number]").first).to_have_text(re.compile(r"^SLDX-\d{4}-\d{6}$"))
    page.click("form[action='/exchange/orders'] button")  # the licence is not accepted yet
    expect(page.locator("p.error")).to_contain_text(t["licence"])
    page.check("#accept_licence")
    page.click("form[action='/exchange/orders'] button")
    expect(page.locator("p.notice")).to_have_text(t["ordered"])
    row = page.locator("[data-testid=order-row]", has_text="成都市轨道交通客流数据").first
    with page.expect_download() as info:
        row.locator("[data-testid=download]").click()
    content = Path(info.value.path()).read_bytes()
    assert hashlib.sha256(content).hexdigest() == expected
    shot(page, f"exchange-order-{lang}")
