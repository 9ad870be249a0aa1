"""The bureau reviews award applications (申报 → 审核) in the browser: two organisations submit (through
the service, as `POST /award-applications` does) and one from its policy-matches page (its evidence
ticked; without any it is refused in Chinese), the officer finds them from the home work list, sees
each with the organisation's name, the item, what the rules computed and the evidence named, approves
two (one with the experts' amount) and refuses the third with a reason; each organisation's home page
then shows its outcome, in Chinese, and the officer's page and the outcome in English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webui import Server, shot, sign_in

from suanli.db.repositories.organisations import organisation_by_name, user_by_username
from suanli.db.uow import unit_of_work
from suanli.services import accounts, awards

pytestmark = pytest.mark.browser
ITEM = "ai-2024-standards"
CONVERSION = "ai-2024-major-project-conversion"


def _submit(server: Server, username: str, organisation: str, basis: str) -> int:
    with unit_of_work(server.sessions) as s:  # type: ignore[arg-type]
        user, org = user_by_username(s, username), organisation_by_name(s, organisation)
        assert user is not None and org is not None
        row = awards.submit(s, actor=accounts.principal_of(user), organisation_id=org.id, item_code=ITEM, year=2024,
                            basis=basis, level="national", evidence=frozenset({"standard-publication"}))
        return row.id


def _apply_on_the_web(page: Page, server: Server) -> int:
    """zhixing's administrator applies from its policy matches for the expert-reviewed conversion award."""
    sign_in(page, server, "zhixing-admin")
    page.goto("/awards/matches?year=2024")
    form = page.locator(f"[data-testid=apply-{CONVERSION}]")
    form.locator("summary").click()
    expect(form).to_contain_text("国家重大项目验收文件")
    form.locator("select[name=basis_kind]").select_option(label="项目")
    form.locator("input[name=basis]").fill("智能网联交通国家重点研发成果转化")
    form.locator("button[type=submit]").click()  # no evidence ticked: refused in Chinese, nothing written
    expect(page.locator("p.error")).to_contain_text("证明材料")
    form = page.locator(f"[data-testid=apply-{CONVERSION}]")
    form.locator("summary").click()
    form.locator("select[name=basis_kind]").select_option(label="项目")
    form.locator("input[name=basis]").fill("智能网联交通国家重点研发成果转化")
    form.locator(f"#evidence-{CONVERSION}-project-acceptance").check()
    form.locator(f"#evidence-{CONVERSION}-product-launch").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"applied=\d+"))
    expect(page.locator("p.notice")).to_have_text("申报已提交：由主管部门审核，审核结果见首页。")
    page.context.clear_cookies()
    return int(page.url.rsplit("applied=", 1)[1])


def test_the_officer_approves_one_application_and_refuses_another_with_a_reason(page: Page, server: Server) -> None:
    approved = _submit(server, "zhixing-admin", "zhixing", "standard:GB/T 45678-2024")
    refused = _submit(server, "yilian-admin", "yilian", "standard:GB/T 45999-2024")
    reviewed = _apply_on_the_web(page, server)

    sign_in(page, server, "officer")
    task = page.locator("[data-task=award_applications_to_review]")
    expect(task).to_contain_text("待审核奖励申报")
    assert int(task.locator(".num").inner_text()) >= 3
    task.locator("a").click()
    page.wait_for_url(re.compile(r"/awards/applications$"))
    expect(page.locator("h1")).to_have_text("奖励申报审核")
    card = page.locator(f"article[data-application='{approved}']")
    expect(card.locator("h2")).to_have_text("成都智行交通科技有限公司")  # the name, never the handle
    expect(card.locator("[data-testid=item]")).to_have_text("主导制定标准奖励")
    expect(card.locator("[data-testid=computed]")).to_have_text("¥400,000.00")
    expect(card.locator("[data-testid=evidence]")).to_have_text("标准发布公告及文本")
    expect(card).to_contain_text("zhixing-admin")
    text = page.locator("[data-testid=award-applications]").inner_text()
    assert "ai-2024" not in text and "standard-publication" not in text and "national" not in text, text
    shot(page, "award-applications-zh")

    card.locator("[data-testid^=approve] button").click()
    page.wait_for_url(re.compile(rf"decided={approved}"))
    expect(page.locator("p.notice")).to_have_text("审核通过：应付 ¥400,000.00，将随下一拨付批次支付。")
    expect(page.locator(f"article[data-application='{approved}']")).to_have_count(0)

    card = page.locator(f"article[data-application='{reviewed}']")  # the one filed on the web
    expect(card.locator("[data-testid=item]")).to_have_text("国家重大项目成果转化奖励")
    expect(card.locator("[data-testid=computed]")).to_have_text("最高 ¥10,000,000.00，经评审核定")
    expect(card.locator("[data-testid=evidence]")).to_contain_text("在蓉产品化证明")
    card.locator(f"#amount-{reviewed}").fill("3,000,000")
    card.locator("[data-testid^=approve] button").click()
    page.wait_for_url(re.compile(rf"decided={reviewed}"))
    expect(page.locator("p.notice")).to_have_text("审核通过：应付 ¥3,000,000.00，将随下一拨付批次支付。")

    card = page.locator(f"article[data-application='{refused}']")
    expect(card.locator("h2")).to_have_text("四川医联影像科技有限公司")
    card.locator(f"#note-{refused}").fill("标准文本未见主导单位署名")
    card.locator("[data-testid^=refuse] button").click()
    page.wait_for_url(re.compile(rf"decided={refused}"))
    expect(page.locator("p.notice")).to_have_text("已审核。不予支持：标准文本未见主导单位署名")
    expect(page.locator(f"article[data-application='{refused}']")).to_have_count(0)
    page.goto(f"/awards/applications?decided={approved}&lang=en")
    expect(page.locator("h1")).to_have_text("Award applications to review")
    expect(page.locator("p.notice")).to_have_text("Approved: ¥400,000.00 owed, paid with the next disbursement batch.")
    page.goto("/awards?lang=zh_CN")
    expect(page.locator("[data-testid=decided]")).to_contain_text("GB/T 45678-2024")

    page.context.clear_cookies()
    sign_in(page, server, "zhixing-admin")
    mine = page.locator(f"[data-testid=my-applications] tr[data-application='{approved}']")
    expect(mine).to_contain_text("主导制定标准奖励")
    expect(mine).to_contain_text("已核定：¥400,000.00")
    expect(page.locator(f"[data-testid=my-applications] tr[data-application='{reviewed}']")).to_contain_text(
        "已核定：¥3,000,000.00")
    page.goto("/home?lang=en")
    expect(page.locator(f"[data-testid=my-applications] tr[data-application='{approved}']")).to_contain_text(
        "Approved: ¥400,000.00")
    page.goto("/home?lang=zh_CN")

    page.context.clear_cookies()
    sign_in(page, server, "yilian-admin")
    mine = page.locator(f"[data-testid=my-applications] tr[data-application='{refused}']")
    expect(mine).to_contain_text("不予支持：标准文本未见主导单位署名")
    shot(page, "award-application-refused-zh")
