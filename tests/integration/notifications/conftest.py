"""The notification tests all start from the demo: load it once per database kind and copy it for
each test (the SQLite file; on PostgreSQL `CREATE DATABASE … TEMPLATE`), instead of 10–15 s of
`load_demo` per test. `db_url` here is a fresh copy of the loaded demo, so a test's `session` (and
`demo`) already holds it; each copy is its own database, so tests still never see each other."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from suanli.db.engine import make_engine, normalise_url
from suanli.db.uow import session_factory, unit_of_work
from suanli.services.demo import load_demo
from suanli_testing import migrated_postgres_database


def postgres_admin_url() -> str | None:
    """As the root conftest's (SUANLI_TEST_POSTGRES_URL; required in CI)."""
    url = os.environ.get("SUANLI_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI"):
        raise RuntimeError("SUANLI_TEST_POSTGRES_URL must be set in CI")
    return url


def _load(url: str) -> None:
    engine = make_engine(url)
    with unit_of_work(session_factory(engine)) as session:
        load_demo(session)
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("notifications-demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    _load(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_demo_template() -> Iterator[str]:
    admin = postgres_admin_url()
    if not admin:
        pytest.skip("PostgreSQL tests need SUANLI_TEST_POSTGRES_URL (set by .ci/run)")
    with migrated_postgres_database(admin, "suanli_notify_demo") as url:
        _load(url)
        yield str(make_url(url).database)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the loaded demo: SQLite and PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "suanli.db"
        shutil.copy(request.getfixturevalue("sqlite_demo_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_demo_template")
    admin = postgres_admin_url()
    assert admin is not None
    name = f"suanli_notify_{uuid.uuid4().hex[:10]}"
    admin_engine = make_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(normalise_url(admin)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()
