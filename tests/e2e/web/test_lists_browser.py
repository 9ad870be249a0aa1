"""Lists in the browser (Chromium): jobs, the transparency log and the application queue with
search, filters, sortable columns and page numbers that say how many rows matched in all."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webui import Server, shot, sign_in

from suanli.db.models.jobs import JobRow
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import accounts
from suanli.services.organisations import create_organisation
from suanli_testing import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def busy_org(server: Server) -> str:
    """An organisation of its own with 37 finished jobs (so other tests' jobs do not change the counts)."""
    with unit_of_work(server.sessions) as s:  # type: ignore[arg-type]
        org = create_organisation(s, name="lists-co", name_zh="列表科技", type=OrganisationType.ENTERPRISE, city="成都").id
        user = accounts.create_user(s, username="lists-admin", password=PASSWORD, role=Role.ORG_ADMIN, organisation_id=org)
        for i in range(37):
            s.add(JobRow(name=f"{'训练' if i % 2 else '推理'}-{i:02d}", command="echo x", organisation_id=org,
                         user_id=user.id, state="succeeded" if i < 30 else "failed", request={}, devices=1 + i % 3,
                         time_limit_s=60))
    server.passwords["lists-admin"] = PASSWORD
    return "lists-admin"


def test_jobs_page_through_search_filter_and_sort_with_the_total_shown(page: Page, server: Server, busy_org: str) -> None:
    sign_in(page, server, busy_org)
    page.goto("/jobs?per_page=10")
    total = page.locator("[data-testid=list-total]")
    expect(total).to_contain_text("第 1–10 条，共 37 条")
    expect(total).to_contain_text("第 1 / 4 页")
    expect(page.locator("tbody tr")).to_have_count(10)
    first_page = page.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert first_page[0] == "训练-36" or first_page[0] == "推理-36"
    shot(page, "jobs-list-zh")

    page.click("nav.pager >> text=下一页")
    expect(total).to_contain_text("第 11–20 条，共 37 条")
    assert not set(page.locator("tbody tr td:nth-child(2)").all_inner_texts()) & set(first_page)
    page.click("nav.pager >> a:text-is('4')")
    expect(total).to_contain_text("第 31–37 条，共 37 条")
    expect(page.locator("tbody tr")).to_have_count(7)

    page.fill("#q", "训练")
    page.select_option("#state", "failed")
    page.click("form.filters button[type=submit]")
    expect(total).to_contain_text("共 3 条")  # 31, 33, 35
    assert sorted(page.locator("tbody tr td:nth-child(2)").all_inner_texts()) == ["训练-31", "训练-33", "训练-35"]
    assert set(page.locator("tbody tr td:nth-child(3)").all_inner_texts()) == {"失败"}

    page.click("th a[data-sort=name]")  # descending first
    expect(page.locator("th[aria-sort=descending] a[data-sort=name]")).to_be_visible()
    assert page.locator("tbody tr td:nth-child(2)").all_inner_texts() == ["训练-35", "训练-33", "训练-31"]
    page.click("th a[data-sort=name]")
    assert page.locator("tbody tr td:nth-child(2)").all_inner_texts() == ["训练-31", "训练-33", "训练-35"]
    expect(page).to_have_url(re.compile(r"q=%E8%AE%AD%E7%BB%83.*state=failed|state=failed.*q=%E8%AE%AD%E7%BB%83"))

    page.goto("/jobs?q=no-such-job")
    expect(page.locator("tbody")).to_contain_text("没有符合条件的作业。")
    expect(total).to_contain_text("共 0 条")
    page.goto("/jobs?sort=command")  # refused in the reader's language, the field named
    expect(page.locator("main p.error")).to_have_text("输入有误：排序")
    page.goto("/jobs?page=2.5")
    expect(page.locator("main p.error")).to_have_text("页码须为整数。")


def test_past_the_count_s_cap_the_page_says_more_than_and_how_to_narrow_it(page: Page, server: Server, busy_org: str,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("suanli.db.repositories.lists.COUNT_CAP", 20)  # the server runs in this process
    sign_in(page, server, busy_org)
    page.goto("/jobs?per_page=10&page=4")
    total = page.locator("[data-testid=list-total]")
    expect(total).to_contain_text("第 11–20 条，超过 20 条")
    expect(total).to_contain_text("可翻阅第 2 / 2 页")
    expect(page.locator("[data-testid=list-more]")).to_have_text("只能翻阅前 20 条：请用搜索或筛选缩小范围。")
    shot(page, "jobs-list-more-zh")
    page.select_option("#state", "failed")
    page.click("form.filters button[type=submit]")
    expect(total).to_contain_text("共 7 条")
    expect(page.locator("[data-testid=list-more]")).to_have_count(0)


def test_audit_log_filters_by_kind_and_searches_with_pages(page: Page, server: Server) -> None:
    sign_in(page, server, "auditor")
    page.goto("/audit?per_page=10")
    total = page.locator("[data-testid=list-total]")
    expect(total).to_contain_text("第 1–10 条")
    all_events = int(re.search(r"共 (\d+) 条", total.inner_text()).group(1))  # type: ignore[union-attr]
    assert all_events > 10
    kinds = page.locator("#kind option").all_inner_texts()
    assert kinds[0] == "全部事件" and len(kinds) > 2
    page.select_option("#kind", index=1)
    page.click("form.filters button[type=submit]")
    chosen = kinds[1]
    assert set(page.locator("tbody tr td:nth-child(2)").all_inner_texts()) == {chosen}
    narrowed = int(re.search(r"共 (\d+) 条", total.inner_text()).group(1))  # type: ignore[union-attr]
    assert 0 < narrowed < all_events
    page.click("th a[data-sort=seq]")  # the newest first already: a click shows the oldest first
    seqs = [int(t) for t in page.locator("tbody tr td:nth-child(1)").all_inner_texts()]
    assert seqs == sorted(seqs)
    shot(page, "audit-list-zh")


def test_the_application_queue_searches_by_applicant_and_pages(page: Page, server: Server) -> None:
    sign_in(page, server, "officer")
    page.goto("/applications?status=&per_page=10")
    total = page.locator("[data-testid=list-total]")
    expect(total).to_contain_text("共")
    all_rows = int(re.search(r"共 (\d+) 条", total.inner_text()).group(1))  # type: ignore[union-attr]
    assert all_rows >= 1
    applicant = page.locator("article.application p.meta").first.inner_text().split(" · ")[0]
    page.fill("#q", applicant)
    page.click("form.filters button[type=submit]")
    found = int(re.search(r"共 (\d+) 条", total.inner_text()).group(1))  # type: ignore[union-attr]
    assert 1 <= found <= all_rows
    assert all(m.startswith(applicant) for m in page.locator("article.application p.meta").all_inner_texts())
    page.fill("#q", "no-such-applicant")
    page.click("form.filters button[type=submit]")
    expect(total).to_contain_text("共 0 条")
    expect(page.locator("main")).to_contain_text("这里没有申领。")
