"""需补充材料 in the browser (Chromium): the reviewer asks the applicant for more documents from the
application's page (reason and document type); the applicant finds it in its work list, reads the
reason, uploads the file and answers; the application is back in the reviewer's queue. The demo's
parked application is shown the same way, in Chinese and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from webui import Server, shot, sign_in

from suanli.db.models.vouchers import VoucherApplicationRow
from suanli.db.uow import unit_of_work

pytestmark = pytest.mark.browser


def _application(server: Server, project: str) -> int:
    with unit_of_work(server.sessions) as s:  # type: ignore[arg-type]
        return int(s.scalar(select(VoucherApplicationRow.id).where(VoucherApplicationRow.project == project)))


def test_the_reviewer_asks_for_a_document_and_the_applicant_uploads_it_and_answers(page: Page, server: Server,
                                                                                   tmp_path) -> None:  # type: ignore[no-untyped-def]
    app_id = _application(server, "中小企业算力撮合服务")  # the demo's application awaiting the reviewer
    sign_in(page, server, "reviewer")
    page.goto(f"/applications/{app_id}")
    form = page.locator("[data-testid=request-documents]")
    form.locator("textarea[name=reason]").fill("请补充与天府商业GPU云的服务合同")
    form.get_by_label("合同").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("p.notice")).to_have_text("补充材料要求已发送给申请单位。")
    expect(page.locator("[data-testid=application-status]")).to_have_text("待补充材料")
    expect(page.locator("[data-testid=request-documents]")).to_have_count(0)  # one open request at a time
    request = page.locator("[data-testid=document-request]").last
    expect(request).to_contain_text("请补充与天府商业GPU云的服务合同")
    expect(request).to_contain_text("等待申请单位补充。")

    page.context.clear_cookies()
    sign_in(page, server, "rongsuan-admin")
    task = page.locator("[data-task=documents_requested]")
    expect(task).to_contain_text("1")
    expect(task).to_contain_text("需补充材料的申领")
    page.goto(f"/applications/{app_id}")
    request = page.locator("[data-testid=document-request]").last
    expect(request).to_contain_text("需补充的材料：合同")
    request.locator("button[type=submit]").click()  # answered before uploading: refused, in Chinese
    expect(page.locator("p.error")).to_contain_text("所要求的补充材料尚未上传")
    contract = tmp_path / "服务合同.pdf"
    contract.write_bytes(b"%PDF-1.4 service contract")
    upload = page.locator("[data-testid=upload-document]")
    upload.locator("select[name=kind]").select_option("contract")
    upload.locator("input[type=file]").set_input_files(str(contract))
    upload.locator("button[type=submit]").click()
    expect(page.locator("p.notice")).to_have_text("材料已上传。")
    expect(page.locator("[data-testid=documents]")).to_contain_text("服务合同.pdf")
    request = page.locator("[data-testid=document-request]").last
    request.locator("textarea[name=answer]").fill("已上传服务合同")
    shot(page, "application-documents-requested-zh")
    request.locator("button[type=submit]").click()
    expect(page.locator("p.notice")).to_have_text("材料已补充，审核继续。")
    expect(page.locator("[data-testid=application-status]")).to_have_text("已提交")
    expect(page.locator("[data-testid=document-request]").last).to_contain_text("已上传服务合同")

    page.context.clear_cookies()
    sign_in(page, server, "reviewer")
    page.goto("/applications")
    expect(page.locator(f"#app-{app_id}")).to_be_visible()  # back in the queue, to be decided


def test_the_demo_application_parked_for_documents_reads_in_both_languages(page: Page, server: Server) -> None:
    app_id = _application(server, "病理切片分析模型微调")
    sign_in(page, server, "yilian-admin")
    expect(page.locator("[data-task=documents_requested]")).to_contain_text("1")
    page.goto(f"/applications/{app_id}")
    expect(page.locator("[data-testid=application-status]")).to_have_text("待补充材料")
    expect(page.locator("[data-testid=document-request]")).to_contain_text("请上传盖章版本")
    expect(page.locator("[data-testid=document-request]")).to_contain_text("立项批复")
    page.click("#lang-toggle")
    expect(page.locator("[data-testid=application-status]")).to_have_text("Awaiting more documents")
    expect(page.locator("[data-testid=document-request]")).to_contain_text("Project approval")
    shot(page, "application-documents-requested-en")
