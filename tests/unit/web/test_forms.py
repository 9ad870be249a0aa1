"""The web unit of work and its forms over a real database: a change the database refuses (a trigger
installed for the test: at flush on SQLite, at COMMIT on PostgreSQL through a deferred constraint
trigger) re-renders the form with the message in the reader's language, with no session cookie and
no redirect to success; a form posted twice with the same one-time key files once; bad input and
another tenant's objects are answered as pages, never a 500 or a 403."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import pytest
from sqlalchemy import Engine, func, select, text

from suanli.db.engine import make_engine
from suanli.db.models.jobs import JobRow
from suanli.db.models.organisations import ApiTokenRow
from suanli.domain.opportunities.table import HEADERS
from suanli.domain.organisations import OrganisationType, Role
from suanli_testing import PASSWORD, empty_postgres, hidden, sign_in_web


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Both databases here: the point is how each refuses a commit."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    engine = make_engine(url)
    empty_postgres(engine)
    engine.dispose()


class Refusal:
    """A database rule that refuses every new row of one table, installed and removed by the test."""

    def __init__(self, engine: Engine, table: str) -> None:
        self.engine, self.table = engine, table

    def __enter__(self) -> Self:
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "sqlite":
                conn.execute(text(f"CREATE TRIGGER refuse_{self.table} BEFORE INSERT ON {self.table} "
                                  "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))
            else:  # checked at COMMIT, after the handler has finished: the case the issue is about
                conn.execute(text("CREATE OR REPLACE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS "
                                  "$$ BEGIN RAISE integrity_constraint_violation USING MESSAGE = 'refused by the test'; END $$"))
                conn.execute(text(f"CREATE CONSTRAINT TRIGGER refuse_{self.table} AFTER INSERT ON {self.table} "
                                  "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_row()"))
        return self

    def __exit__(self, *_exc: object) -> None:
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "sqlite":
                conn.execute(text(f"DROP TRIGGER refuse_{self.table}"))
            else:
                conn.execute(text(f"DROP TRIGGER refuse_{self.table} ON {self.table}"))



@pytest.fixture
def web(api):  # type: ignore[no-untyped-def]
    org = api.organisation("acme", OrganisationType.ENTERPRISE, sme=True)
    api.user("alice", Role.ORG_ADMIN, org)
    other = api.organisation("rival", OrganisationType.ENTERPRISE)
    api.user("bob", Role.ORG_ADMIN, other)
    api.load_federation()
    api.client.cookies.clear()
    return api



def _count(api, model: type) -> int:  # type: ignore[no-untyped-def]
    with api.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_sign_in_the_database_refuses_is_the_form_again_without_a_cookie(web, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    page = web.client.get("/signin")
    tokens = _count(web, ApiTokenRow)
    with Refusal(engine, "api_tokens"):
        response = web.client.post("/signin", data={"csrf_token": hidden(page.text, "csrf_token"), "username": "alice",
                                                    "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 409
    assert "location" not in response.headers
    assert not any(c.startswith("suanli_token=") for c in response.headers.get_list("set-cookie"))
    assert 'id="username"' in response.text and "登录未能保存" in response.text
    assert "数据库拒绝了本次修改" in response.text
    assert _count(web, ApiTokenRow) == tokens
    # With the rule gone the same form signs in.
    sign_in_web(web.client, "alice")
    assert web.client.get("/home").status_code == 200


def test_a_job_form_the_database_refuses_is_the_form_again_in_english_and_nothing_is_filed(web, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    sign_in_web(web.client, "alice")
    page = web.client.get("/jobs/new?lang=en")
    fields = {"csrf_token": hidden(page.text, "csrf_token"), "form_key": hidden(page.text, "form_key"),
              "name": "refused", "command": "echo hi", "devices": "1", "hours": "1", "pool": "local/cpu"}
    with Refusal(engine, "jobs"):
        response = web.client.post("/jobs", data=fields, follow_redirects=False)
    assert response.status_code == 422 and "location" not in response.headers
    assert 'id="job-form"' in response.text
    assert "The database refused the change; nothing was saved." in response.text
    assert _count(web, JobRow) == 0
    # The key was not spent by the refused attempt: the same form goes through once the rule is gone,
    # and posting it again (a reload, a double click) is sent to the same job without filing a second.
    first = web.client.post("/jobs", data=fields, follow_redirects=False)
    assert first.status_code == 303 and re.fullmatch(r"/jobs/\d+", first.headers["location"])
    again = web.client.post("/jobs", data=fields, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    assert _count(web, JobRow) == 1


@pytest.mark.parametrize(("field", "value", "zh"), [
    ("devices", "1.5", "设备数须为整数"),
    ("devices", "0", "设备数须在 1 到 100000 之间"),
    ("prefer", "bogus", "请从给出的偏好中选择一项"),
])
def test_bad_job_input_is_the_form_again_with_a_chinese_message(web, field: str, value: str, zh: str) -> None:  # type: ignore[no-untyped-def]
    sign_in_web(web.client, "alice")
    page = web.client.get("/jobs/new?lang=zh_CN")
    fields = {"csrf_token": hidden(page.text, "csrf_token"), "form_key": hidden(page.text, "form_key"),
              "name": "bad", "command": "echo hi", "devices": "1", "hours": "1", "pool": "", field: value}
    response = web.client.post("/jobs", data=fields, follow_redirects=False)
    assert response.status_code == 422, response.text
    assert zh in response.text and 'id="job-form"' in response.text
    assert _count(web, JobRow) == 0


def test_a_form_without_its_one_time_key_is_refused_as_a_page(web) -> None:  # type: ignore[no-untyped-def]
    sign_in_web(web.client, "alice")
    page = web.client.get("/jobs/new")
    response = web.client.post("/jobs", data={"csrf_token": hidden(page.text, "csrf_token"), "name": "x",
                                              "command": "echo", "pool": "local/cpu"}, follow_redirects=False)
    assert response.status_code == 422 and "表单已失效" in response.text
    assert _count(web, JobRow) == 0


def test_another_organisations_job_and_invoice_are_404_pages(web) -> None:  # type: ignore[no-untyped-def]
    sign_in_web(web.client, "alice")
    page = web.client.get("/jobs/new")
    created = web.client.post("/jobs", data={"csrf_token": hidden(page.text, "csrf_token"),
                                             "form_key": hidden(page.text, "form_key"), "name": "mine",
                                             "command": "echo", "pool": "local/cpu"}, follow_redirects=False)
    job = created.headers["location"]
    web.client.cookies.clear()
    sign_in_web(web.client, "bob")
    assert web.client.get(job).status_code == 404
    assert web.client.get("/invoices/1.xlsx").status_code == 404
    page = web.client.get("/jobs")
    cancel = web.client.post(f"{job}/cancel", data={"csrf_token": hidden(page.text, "csrf_token"),
                                                     "form_key": "k" * 24}, follow_redirects=False)
    assert cancel.status_code == 404


@pytest.mark.parametrize(("method", "path", "status", "headline", "reason"), [
    ("GET", "/no-such-page", 404, "未找到", None),
    ("GET", "/no-such-page?lang=en", 404, "Not found", None),
    ("DELETE", "/jobs", 405, "请求被拒绝", "此页面不接受这类请求"),
    ("DELETE", "/jobs?lang=en", 405, "The request was refused", "This page does not take this kind of request"),
    ("POST", "/jobs/not-a-number/cancel", 422, "请求被拒绝", "网址或表单中有无效的值"),
])
def test_a_missing_page_a_wrong_method_or_a_malformed_path_is_an_error_page_not_json(  # type: ignore[no-untyped-def]
        web, method: str, path: str, status: int, headline: str, reason: str | None) -> None:
    sign_in_web(web.client, "alice")
    browser = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    response = web.client.request(method, path, headers=browser, follow_redirects=False)
    assert response.status_code == status and response.headers["content-type"].startswith("text/html")
    assert headline in response.text
    if reason is not None:  # the headline alone would not say what was refused
        assert reason in response.text
    # A client that does not ask for a page (curl, scripts) gets the problem+json of the contract.
    plain = web.client.request(method, path, follow_redirects=False)
    assert plain.status_code == status and plain.headers["content-type"].startswith("application/problem+json")
    api = web.client.get("/api/v1/no-such-thing", headers=browser)
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")


def test_a_multipart_form_without_a_boundary_is_an_error_page(web) -> None:  # type: ignore[no-untyped-def]
    sign_in_web(web.client, "alice")
    response = web.client.post("/jobs", content=b"abc", headers={"content-type": "multipart/form-data",
                                                                 "accept": "text/html"})
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")


def test_a_refused_opportunity_batch_says_in_chinese_what_is_wrong_with_its_figures(api) -> None:  # type: ignore[no-untyped-def]
    api.user("olga", Role.PROGRAM_OFFICER, api.organisation("bureau", OrganisationType.GOVERNMENT))
    api.client.cookies.clear()
    sign_in_web(api.client, "olga")
    desk = api.client.get("/opportunities/batches?lang=zh_CN")
    token = hidden(desk.text, "csrf_token")
    too_long = api.client.post("/opportunities/batches", files={"file": ("", b"")},
                               data={"csrf_token": token, "action": "create", "title": "批" * 201})
    assert too_long.status_code == 422, too_long.text
    assert "批次名称须为 1 到 200 个字符。" in too_long.text
    assert "a batch title has" not in too_long.text
    api.client.post("/opportunities/batches", files={"file": ("", b"")},
                    data={"csrf_token": token, "action": "create", "title": "第一批"})
    batch = re.search(r'data-batch="(\d+)"', api.client.get("/opportunities/batches").text)
    assert batch, "the batch was not created"
    empty = api.client.post("/opportunities/batches", files={"file": ("", b"")},
                            data={"csrf_token": token, "action": "submit", "batch_id": batch.group(1)})
    assert "该批次还没有条目，请先添加条目再提交审核。" in empty.text and "no items to submit" not in empty.text
    # The bureau's sheet with a nameless item: the row and the column, in Chinese, from the real parser.
    sheet = (",".join(HEADERS) + "\n2026-S-001,供给,算力,,成都智算,高新区,医疗影像" + "," * (len(HEADERS) - 7) + "\n").encode()
    bad_row = api.client.post("/opportunities/batches", files={"file": ("第一批.csv", sheet, "text/csv")},
                              data={"csrf_token": token, "action": "import", "batch_id": batch.group(1)})
    assert "第 2 行“名称”列：不能为空。" in bad_row.text, re.findall(r'<p class="error"[^>]*>.*?</p>', bad_row.text)
