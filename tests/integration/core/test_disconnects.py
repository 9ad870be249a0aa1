"""A PostgreSQL server that kills the API's connections (`pg_terminate_backend`: a restart, an idle
timeout, an operator) costs no request a 500: a connection killed while it sat in the pool is replaced
at checkout before the transaction sends anything, one killed in the middle of a transaction answers
503 with Retry-After, and the request after it succeeds. And the pool no longer pings: a checkout
sends no `SELECT 1`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text

from suanli.db.engine import normalise_url
from suanli.db.uow import unit_of_work
from suanli.domain.errors import ServiceBusy
from suanli.domain.organisations import Role


@pytest.fixture
def killer(db_url: str) -> Iterator[Engine]:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    engine = create_engine(normalise_url(db_url), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def kill_others(killer: Engine) -> int:
    """Terminate every other session on this database (the API's pooled connections among them)."""
    with killer.connect() as c:
        return len(c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all())


def test_a_connection_killed_in_the_pool_is_replaced_and_the_next_request_succeeds(api: Any, killer: Engine) -> None:
    org = api.organisation("chengdu-lab")
    admin = api.user("lab-admin", Role.ORG_ADMIN, org)
    assert api.client.get("/api/v1/auth/me", headers=admin).status_code == 200  # a connection waits in the pool
    for _ in range(3):
        assert kill_others(killer) >= 1
        answer = api.client.get("/api/v1/auth/me", headers=admin)
        assert answer.status_code == 200, answer.text
        assert answer.json()["username"] == "lab-admin"


def test_a_connection_killed_mid_transaction_is_a_503_to_retry_and_the_retry_succeeds(api: Any, killer: Engine) -> None:
    with pytest.raises(ServiceBusy) as busy, unit_of_work(api.sessions) as s:
        s.execute(text("SELECT 1"))  # the transaction has begun on its connection
        kill_others(killer)
        s.execute(text("SELECT 1"))
    assert busy.value.status == 503 and busy.value.extra["retry_after_s"] >= 1
    assert "connection was lost" in busy.value.detail
    with unit_of_work(api.sessions) as s:
        assert s.execute(text("SELECT 2")).scalar() == 2


def test_a_checkout_sends_no_ping(api: Any, killer: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = api.sessions.kw["bind"]
    pings: list[object] = []

    def ping(connection: object) -> bool:
        pings.append(connection)
        return True

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_a: sent.append(statement))
    for n in range(3):
        with unit_of_work(api.sessions) as s:
            s.execute(text(f"SELECT {n}"))
    assert pings == [] and sent == ["SELECT 0", "SELECT 1", "SELECT 2"]
