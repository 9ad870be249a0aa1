"""Every page, walked in Chinese as every demo role, shows names and not codes: the visible text has
no slug (`nscc-chengdu`, `expert-review`), no dotted or `kind:id` code (`ledger.void_posted`,
`ledger_transfer:83`) and no lowercase English word. What people typed themselves (usernames, job
names, projects, commands) and document numbers are the only ASCII allowed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from suanli.config import Settings
from suanli.db.engine import make_engine
from suanli.db.models.jobs import JobRow
from suanli.db.models.ledger import DisbursementBatchRow, InvoiceRow, SettlementStatementRow
from suanli.db.models.organisations import UserRow
from suanli.db.models.vouchers import VoucherApplicationRow
from suanli.db.uow import session_factory, unit_of_work
from suanli.services.demo import load_demo
from suanli.web.nav import MENUS

ROLES = {"zhixing-admin": ["/jobs/1"], "uestc-student": [], "officer": ["/programs/1", "/applications/1", "/applications/3"], "finance": [],
         "nscc": [], "operator": ["/programs/1", "/applications?status="], "auditor": ["/audit/receipt/1"]}
SKIP_TAGS = {"script", "style", "code", "pre", "textarea", "option"}
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_.:/][A-Za-z0-9]+)*")


class Visible(HTMLParser):
    """The text a reader sees: not scripts, code, logs or what they typed into inputs; and the words a
    chart draws (titles, legend names, pie labels, category axes) from its `data-figure`."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.parts = 0, []  # type: ignore[var-annotated]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self.depth += 1
        figure = dict(attrs).get("data-figure")
        if figure:
            self.parts.extend(chart_words(json.loads(figure)))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def chart_words(figure: dict[str, Any]) -> list[str]:
    words = [str(trace.get("name", "")) for trace in figure.get("data", [])]
    for trace in figure.get("data", []):
        words += [str(v) for v in trace.get("labels", [])]
        for axis in ("x", "y"):  # a category axis names things; numbers and dates are not words
            words += [v for v in trace.get(axis, []) if isinstance(v, str) and not re.match(r"^[\d:T.+-]+$", v)]
    title = figure.get("layout", {}).get("title", {})
    return [*words, str(title.get("text", "") if isinstance(title, dict) else title)]


def codes_in(html: str, allowed: set[str]) -> list[str]:
    parser = Visible()
    parser.feed(html)
    found = []
    text = " ".join(" ".join(parser.parts).split())
    for match in TOKEN.finditer(text):
        token = match.group(0)
        if token in allowed or token.lower() in allowed:
            continue
        slug = bool(re.search(r"[-_.:/]", token)) and any(c.islower() for c in token)
        word = token.islower() and len(token) >= 3
        if slug or word:
            found.append(f"{token} in …{text[max(0, match.start() - 15):match.end() + 15]}…")
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[TestClient, dict[str, str], set[str]]]:
    import shutil

    from suanli.api.app import create_app

    tmp = tmp_path_factory.mktemp("names")
    shutil.copy(sqlite_template, tmp / "demo.db")
    url = f"sqlite:///{tmp}/demo.db"
    engine = make_engine(url)
    with unit_of_work(session_factory(engine)) as s:
        passwords = {a["username"]: a["password"] for a in load_demo(s)}
    with session_factory(engine)() as s:
        # Centers' own job ids are quoted as they are (a person gives them to the center's support).
        typed = {*s.scalars(select(UserRow.username)), *s.scalars(select(JobRow.name)),
                 *(i for i in s.scalars(select(JobRow.backend_job_id)) if i),
                 *s.scalars(select(InvoiceRow.number)), *s.scalars(select(SettlementStatementRow.number)),
                 *s.scalars(select(DisbursementBatchRow.number))}
        projects = " ".join(s.scalars(select(VoucherApplicationRow.project)))
    engine.dispose()
    allowed = {*typed, *TOKEN.findall(projects), "suanli", "openapi.json"}
    app = create_app(Settings(database_url=url, data_dir=tmp / "data"))  # type: ignore[arg-type]
    with TestClient(app) as client:
        yield client, passwords, allowed


@pytest.mark.parametrize("username", sorted(ROLES))
def test_every_page_of_every_role_reads_as_names_in_chinese(demo, username: str) -> None:  # type: ignore[no-untyped-def]
    client, passwords, allowed = demo
    client.cookies.clear()
    page = client.get("/signin?lang=zh_CN")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    signed = client.post("/signin", data={"csrf_token": token, "username": username, "password": passwords[username]},
                         follow_redirects=False)
    assert signed.status_code == 303
    role = next(r for r in MENUS if r.value == client.get("/api/v1/auth/me").json()["role"])
    paths = [href for href, _text in MENUS[role]] + ROLES[username]
    problems = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        found = codes_in(response.text, allowed)
        if found:
            problems[path] = sorted(set(found))
    assert problems == {}, f"codes or English on Chinese pages for {username}: {problems}"


@pytest.mark.parametrize(("username", "task", "words"), [
    ("finance", "batches_to_approve", "待审批批次"),
    ("officer", "applications_to_review", "待审核申领"),
    ("zhixing-admin", "jobs_running", "运行中的作业"),
    ("zhixing-admin", "vouchers_expiring", "即将到期的券"),
])
def test_home_is_a_work_list_with_counts_per_role(demo, username: str, task: str, words: str) -> None:  # type: ignore[no-untyped-def]
    client, passwords, _allowed = demo
    client.cookies.clear()
    page = client.get("/signin?lang=zh_CN")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post("/signin", data={"csrf_token": token, "username": username, "password": passwords[username]})
    home = client.get("/home").text
    item = re.search(rf'<li class="(due|clear)" data-task="{task}"><a href="[^"]+"><span class="num">(\d+)</span> <span>([^<]+)</span>', home)
    assert item, home
    assert words in item.group(3)
    if username == "finance":  # the demo leaves one batch awaiting the finance officer
        assert item.group(2) == "1" and item.group(1) == "due"
    if username == "officer":  # and one application awaiting the officer
        assert int(item.group(2)) >= 1


def test_english_pages_name_centers_and_organisations_by_their_english_names(demo) -> None:  # type: ignore[no-untyped-def]
    client, passwords, _allowed = demo
    client.cookies.clear()
    page = client.get("/signin?lang=en")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post("/signin", data={"csrf_token": token, "username": "zhixing-admin", "password": passwords["zhixing-admin"]})
    for path, name in (("/market", "National Supercomputing Center in Chengdu"),
                       ("/home", "Chengdu Zhixing Transport Technology Co., Ltd."),
                       ("/dashboard", "Tianfu Commercial GPU Cloud")):
        parser = Visible()
        parser.feed(client.get(path).text)
        visible = " ".join(parser.parts)
        assert name in visible, path
        assert "nscc-chengdu" not in visible and "tianfu-cloud" not in visible, path  # handles, not names
