"""An application's own page in the browser (Chromium): the officer and the applicant read the
applicant's profile, the rules that fired in words, the evidence cited, each review stage's score,
opinion and reviewer, and the granted amount; another organisation gets a 404 page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from webui import Server, shot, sign_in

from suanli.db.models.vouchers import VoucherApplicationRow
from suanli.db.uow import unit_of_work

pytestmark = pytest.mark.browser


def _granted_demo_application(server: Server) -> int:
    with unit_of_work(server.sessions) as s:  # type: ignore[arg-type]
        return int(s.scalar(select(VoucherApplicationRow.id).where(VoucherApplicationRow.project == "成都城市交通大模型")))


def test_the_officer_reads_the_applicant_the_rules_every_stage_and_the_grant(page: Page, server: Server) -> None:
    app_id = _granted_demo_application(server)
    sign_in(page, server, "officer")
    page.goto("/applications?status=granted")
    page.click(f"#app-{app_id} a")
    expect(page.locator("h1")).to_contain_text(f"申领 {app_id}：成都城市交通大模型".replace("：", ": "))
    expect(page.locator("[data-testid=application-status]")).to_have_text("已核定")
    applicant = page.locator("[data-testid=applicant]")
    expect(applicant).to_contain_text("成都智行交通科技有限公司")
    expect(applicant).to_contain_text("企业")
    expect(page.locator("[data-testid=requested]")).to_have_text("¥200,000.00")
    expect(page.locator("[data-testid=granted]")).to_contain_text("¥200,000.00")
    expect(page.locator("[data-testid=granted]")).to_contain_text("有效期至")
    expect(page.locator("[data-testid=rules] li").first).not_to_be_empty()
    expect(page.locator("[data-testid=evidence]")).to_contain_text("立项批复")
    rows = page.locator("[data-testid=stages] tbody tr")
    expect(rows).to_have_count(2)
    expert = rows.nth(0).locator("td")
    expect(expert.nth(1)).to_have_text("通过")
    expect(expert.nth(2)).to_have_text("85 / 100")
    expect(expert.nth(3)).to_contain_text("材料齐全，项目可行")
    expect(expert.nth(4)).to_have_text("reviewer")
    final = rows.nth(1).locator("td")
    expect(final.nth(3)).to_contain_text("同意核定")
    expect(final.nth(4)).to_have_text("officer")
    shot(page, "application-detail-zh")
    page.click("#lang-toggle")
    expect(page.locator("[data-testid=application-status]")).to_have_text("Granted")
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("approved")


def test_the_applicant_reads_its_own_application_and_another_organisation_gets_a_404(page: Page, server: Server) -> None:
    app_id = _granted_demo_application(server)
    sign_in(page, server, "zhixing-admin")
    page.goto("/vouchers")
    page.click(f"a[href='/applications/{app_id}'] >> nth=0")
    expect(page.locator("[data-testid=granted]")).to_contain_text("¥200,000.00")
    page.context.clear_cookies()
    sign_in(page, server, "uestc-admin")
    response = page.goto(f"/applications/{app_id}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).not_to_contain_text("成都城市交通大模型")


def test_an_uploaded_evidence_file_is_listed_and_downloads_from_the_application_page(page: Page, server: Server) -> None:
    from suanli.db.repositories.organisations import user_by_username
    from suanli.services import accounts
    from suanli.services.vouchers.documents import Upload, upload_document

    with unit_of_work(server.sessions) as s:  # type: ignore[arg-type]
        app_id = int(s.scalar(select(VoucherApplicationRow.id).where(VoucherApplicationRow.project == "中小企业算力撮合服务")))
        admin = accounts.principal_of(user_by_username(s, "rongsuan-admin"))  # type: ignore[arg-type]
        assert server.data_dir is not None
        upload_document(s, upload=Upload("project_approval", "立项批复-2026.pdf", "application/pdf", b"%PDF-1.4 test",
                                         application_id=app_id), actor=admin, data_dir=server.data_dir)
    sign_in(page, server, "rongsuan-admin")
    page.goto(f"/applications/{app_id}")
    document = page.locator("[data-testid=documents] tbody tr", has_text="立项批复-2026.pdf")
    expect(document).to_contain_text("立项批复")
    expect(document.locator("code.wrap")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    with page.expect_download() as download:
        document.locator("a").click()
    assert download.value.suggested_filename == "立项批复-2026.pdf"
    with open(download.value.path(), "rb") as handle:
        assert handle.read() == b"%PDF-1.4 test"
    page.context.clear_cookies()
    sign_in(page, server, "officer")  # the reviewer reads it too
    page.goto(f"/applications/{app_id}")
    expect(page.locator("[data-testid=documents]")).to_contain_text("立项批复-2026.pdf")
