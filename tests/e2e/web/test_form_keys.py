"""Post/redirect/get with one-time form keys in Chromium: after "申领已提交" a reload, a double click
and a re-post of the very same form never file a second application; a bound the page cannot meet
is the form again with a Chinese message, never a 500."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from webui import Server, shot, sign_in

from suanli.db.models.vouchers import VoucherApplicationRow

pytestmark = pytest.mark.browser


def _applications(server: Server, project: str) -> int:
    with server.sessions() as s:  # type: ignore[operator]
        return int(s.scalar(select(func.count()).select_from(VoucherApplicationRow)
                            .where(VoucherApplicationRow.project == project)) or 0)


def test_reloading_after_the_application_was_submitted_does_not_file_a_second(page: Page, server: Server) -> None:
    sign_in(page, server, "maker-admin")
    page.goto("/vouchers")
    page.select_option("#program_id", label="成都市算力券（2026年度）")
    page.fill("#project", "创客空间视觉质检")
    page.fill("#amount_yuan", "5000")
    form = page.locator("form[action='/vouchers/apply']")
    fields = {name: form.locator(f"[name={name}]").input_value()
              for name in ("csrf_token", "form_key", "program_id", "project", "amount_yuan")}
    form.locator("button[type=submit]").dblclick()
    page.wait_for_url(re.compile(r"/vouchers\?applied=\d+$"))
    expect(page.locator("p.notice")).to_contain_text("已提交")
    shot(page, "vouchers-applied-zh")
    page.reload()
    expect(page.locator("p.notice")).to_contain_text("已提交")
    assert _applications(server, "创客空间视觉质检") == 1
    # The same form posted again (back + resubmit, a double click without JavaScript): sent to the
    # first application's page, nothing filed.
    again = page.request.post("/vouchers/apply", form=fields, max_redirects=0)
    assert again.status == 303 and re.search(r"/vouchers\?applied=\d+$", again.headers["location"])
    assert again.headers["location"].endswith(page.url.split("/vouchers", 1)[1])
    assert _applications(server, "创客空间视觉质检") == 1


def test_a_bound_the_form_cannot_meet_is_the_form_again_with_a_chinese_message(page: Page, server: Server) -> None:
    sign_in(page, server, "maker-admin")
    page.goto("/jobs/new")
    page.fill("#name", "bad-devices")
    page.fill("#command", "echo hi")
    page.evaluate("document.querySelector('#devices').removeAttribute('step');"
                  "document.querySelector('#devices').type = 'text'")
    page.fill("#devices", "1.5")
    page.locator("#job-form button[type=submit]").last.click()
    expect(page.locator("main > p.error")).to_contain_text("设备数须为整数")
    expect(page.locator("#job-form")).to_be_visible()
    shot(page, "job-form-refused-zh")
