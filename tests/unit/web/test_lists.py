"""The web lists' read models over a real database (SQLite and PostgreSQL): a page says how many rows
matched in all, search and filters narrow it, sorting orders it, a page past the end shows the last
one, another organisation's rows never appear, and a bad sort or page size is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.db.engine import make_engine
from suanli.db.models.jobs import JobRow
from suanli.domain.errors import Forbidden, InvalidInput
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.services import accounts
from suanli.services.organisations import create_organisation
from suanli.services.views import lists
from suanli.services.views.lists import ListQuery
from suanli_testing import PASSWORD, empty_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Both databases: LIKE, escapes and ordering differ between them."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    engine = make_engine(url)
    empty_postgres(engine)
    engine.dispose()


def _principal(session: Session, username: str, role: Role, organisation_id: int) -> Principal:
    user = accounts.create_user(session, username=username, password=PASSWORD, role=role, organisation_id=organisation_id)
    return accounts.principal_of(user)


@pytest.fixture
def tenants(session: Session) -> tuple[Principal, Principal, Principal]:
    acme = create_organisation(session, name="acme", name_zh="阿克米", type=OrganisationType.ENTERPRISE, city="成都").id
    rival = create_organisation(session, name="rival", name_zh="对手", type=OrganisationType.ENTERPRISE, city="成都").id
    alice = _principal(session, "alice", Role.ORG_ADMIN, acme)
    bob = _principal(session, "bob", Role.ORG_ADMIN, rival)
    member = _principal(session, "carol", Role.ORG_MEMBER, acme)
    for i in range(30):
        owner = member if i % 3 == 0 else alice
        session.add(JobRow(name=f"train-{i:02d}" if i % 2 else f"infer_{i:02d}", command=f"python step{i}.py",
                           organisation_id=acme, user_id=owner.user_id, state="succeeded" if i < 20 else "queued",
                           request={}, devices=1 + i % 4, time_limit_s=60))
    for i in range(7):
        session.add(JobRow(name=f"train-rival-{i}", command="x", organisation_id=rival, user_id=bob.user_id,
                           state="queued", request={}, devices=1, time_limit_s=60))
    session.flush()
    return alice, bob, member


def test_a_page_of_jobs_says_how_many_matched_and_never_shows_another_tenants(session: Session, tenants) -> None:  # type: ignore[no-untyped-def]
    alice, bob, _member = tenants
    page = lists.jobs(session, principal=alice, state="", query=ListQuery(per_page=10))
    assert (page.total, page.pages, len(page.rows), page.first, page.last) == (30, 3, 10, 1, 10)
    assert [j.id for j in page.rows] == sorted((j.id for j in page.rows), reverse=True)
    assert all(j.organisation_id == alice.organisation_id for j in page.rows)
    assert lists.jobs(session, principal=bob, state="", query=ListQuery()).total == 7
    third = lists.jobs(session, principal=alice, state="", query=ListQuery(per_page=10, page=3))
    assert (third.first, third.last) == (21, 30)
    assert not {j.id for j in third.rows} & {j.id for j in page.rows}


def test_search_state_filter_and_sort_narrow_and_order_the_jobs(session: Session, tenants) -> None:  # type: ignore[no-untyped-def]
    alice, _bob, member = tenants
    trains = lists.jobs(session, principal=alice, state="", query=ListQuery(search="train", per_page=100))
    assert trains.total == 15 and all(j.name.startswith("train-") for j in trains.rows)
    # LIKE's wildcard is taken literally: "_" matches only the underscore of "infer_NN".
    assert lists.jobs(session, principal=alice, state="", query=ListQuery(search="r_", per_page=100)).total == 15
    queued = lists.jobs(session, principal=alice, state="queued", query=ListQuery(per_page=100))
    assert queued.total == 10 and {j.state for j in queued.rows} == {"queued"}
    by_name = lists.jobs(session, principal=alice, state="", query=ListQuery(sort="name", descending=False, per_page=100))
    assert [j.name for j in by_name.rows] == sorted(j.name for j in by_name.rows)
    # A member sees only their own jobs.
    mine = lists.jobs(session, principal=member, state="", query=ListQuery(per_page=100))
    assert mine.total == 10 and {j.user_id for j in mine.rows} == {member.user_id}


def test_a_page_past_the_end_shows_the_last_page(session: Session, tenants) -> None:  # type: ignore[no-untyped-def]
    alice, _bob, _member = tenants
    page = lists.jobs(session, principal=alice, state="", query=ListQuery(per_page=25, page=99))
    assert (page.page, page.first, page.last, page.total) == (2, 26, 30, 30)


def test_bad_sorts_sizes_and_states_are_refused_and_providers_have_no_job_list(session: Session, tenants) -> None:  # type: ignore[no-untyped-def]
    alice, _bob, _member = tenants
    for query in (ListQuery(sort="command"), ListQuery(per_page=1000), ListQuery(page=0), ListQuery(search="x" * 101)):
        with pytest.raises(InvalidInput):
            lists.jobs(session, principal=alice, state="", query=query)
    with pytest.raises(InvalidInput):
        lists.jobs(session, principal=alice, state="bogus", query=ListQuery())
    provider = Principal(alice.user_id, "p", alice.organisation_id, Role.PROVIDER_ADMIN)
    with pytest.raises(Forbidden):
        lists.jobs(session, principal=provider, state="", query=ListQuery())
    with pytest.raises(Forbidden):
        lists.applications(session, principal=alice, status="pending", program_id=None, query=ListQuery())


def test_past_the_count_s_cap_a_list_says_more_than_and_pages_only_within_it(session: Session, tenants,  # type: ignore[no-untyped-def]
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob, _member = tenants
    monkeypatch.setattr("suanli.db.repositories.lists.COUNT_CAP", 20)
    page = lists.jobs(session, principal=alice, state="", query=ListQuery(per_page=10))
    assert (page.total, page.more, page.pages) == (20, True, 2)  # 30 matched: "more than 20", two pages
    deep = lists.jobs(session, principal=alice, state="", query=ListQuery(per_page=10, page=3))
    assert (deep.page, deep.first, deep.last) == (2, 11, 20)  # page 3 lies past the cap: the last page within it
    assert [j.id for j in deep.rows] == sorted((j.id for j in deep.rows), reverse=True)
    exact = lists.jobs(session, principal=bob, state="", query=ListQuery(per_page=10))
    assert (exact.total, exact.more) == (7, False)  # under the cap the count is exact
    narrowed = lists.jobs(session, principal=alice, state="queued", query=ListQuery(per_page=10))
    assert (narrowed.total, narrowed.more) == (10, False)


def _log(session: Session, organisation_id: int) -> None:
    """Entries as a read model sees them (the log's hashing is not what these lists test)."""
    from suanli.db.models.audit import AuditEvent

    subjects = ["voucher_application:12", "voucher_application:120", "job:12", "ledger_transfer:7", "program:chengdu"]
    kinds = ["voucher.application_submitted", "voucher.application_reviewed", "job.cancelled", "ledger.transfer",
             "program.loaded"]
    after = session.scalar(select(func.max(AuditEvent.seq)))  # the fixture's own entries come first
    first = 100 if after is None else after + 100
    for seq, (kind, subject) in enumerate(zip(kinds * 3, subjects * 3, strict=True), start=first):
        session.add(AuditEvent(seq=seq, kind=kind, subject=subject, organisation_id=organisation_id if seq % 2 else None,
                               canonical=b"{}", leaf_hash=bytes(32)))
    session.flush()


def test_the_log_lists_its_kinds_and_searches_by_number_or_subject(session: Session, tenants) -> None:  # type: ignore[no-untyped-def]
    alice, _bob, _member = tenants
    _log(session, alice.organisation_id)
    operator = Principal(user_id=0, username="op", role=Role.PLATFORM_OPERATOR, organisation_id=alice.organisation_id)
    from suanli.db.models.audit import AuditEvent

    every = sorted(session.scalars(select(AuditEvent.kind).distinct()))
    assert lists.audit_kinds(session, principal=operator) == every  # the skip scan finds each kind once
    assert {"job.cancelled", "ledger.transfer", "program.loaded"} <= set(every)
    assert set(lists.audit_kinds(session, principal=alice)) <= set(lists.audit_kinds(session, principal=operator))

    def found(search: str, subjects: tuple[str, ...] = ()) -> list[str]:
        page = lists.audit_events(session, principal=operator, kind="", query=ListQuery(search=search, per_page=100),
                                  subjects=subjects)
        return sorted({e.subject for e in page.rows})

    assert found("voucher_application:12") == ["voucher_application:12"]  # exact, not 120
    assert found("", ("voucher_application:12", "job:12")) == ["job:12", "voucher_application:12"]  # "作业 #12"
    seven = session.scalar(select(AuditEvent.seq).where(AuditEvent.subject == "ledger_transfer:7"))
    assert found(str(seven)) == ["ledger_transfer:7"]  # an entry's number (a number is the entry's)
    assert found("application") == [] and found("program:") == []  # no substring or prefix: no index serves them
    mine = lists.audit_events(session, principal=alice, kind="voucher", query=ListQuery(per_page=100))
    assert mine.rows and all(e.organisation_id == alice.organisation_id and e.kind.startswith("voucher.")
                             for e in mine.rows)


def test_a_subject_as_the_page_names_it_is_the_subject_the_log_holds() -> None:
    from suanli.web import i18n
    from suanli.web.names import Names

    zh = Names(i18n.translator("zh_CN"), "zh_CN")
    assert zh.subjects_named("申领 #12") == ("voucher_application:12",)
    assert zh.subjects_named(" 作业12 ") == ("job:12",)
    assert zh.subjects_named("Job 12") == ("job:12",)  # the English name works on the Chinese page too
    assert set(zh.subjects_named("算力券项目 #3")) == {"voucher_program:3", "program:3"}
    assert zh.subjects_named("12") == () and zh.subjects_named("job:12") == () and zh.subjects_named("申领") == ()
