"""Shared fixtures: a migrated database on SQLite and on PostgreSQL.

`db_url` is parametrised over both databases; PostgreSQL comes from `SUANLI_TEST_POSTGRES_URL`
(set by `.ci/run`) and is skipped with a reason only outside CI. Each pytest session gets its own
PostgreSQL database, migrated once and emptied after every test; SQLite gets a fresh copy of a
migrated template file per test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.engine import make_engine
from suanli.db.migrate import upgrade
from suanli.db.uow import session_factory
from suanli_testing import PASSWORD, SMALL_FEDERATION, empty_postgres, migrated_postgres_database

POSTGRES_ENV = "SUANLI_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url and os.environ.get("CI"):
        raise RuntimeError(f"{POSTGRES_ENV} must be set in CI")
    return url


@pytest.fixture(autouse=True)
def quick_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its lightest cost for the passwords the tests create: each user made and signed in
    otherwise costs a quarter of a second of hashing (the product's 64 MiB and three passes), and the
    suite makes hundreds. The hashing and verifying code is the product's; only the cost written into
    each new hash differs. Tests marked `product_password_hashes` (the password tests) keep the product's."""
    if request.node.get_closest_marker("product_password_hashes") is None:
        from argon2 import PasswordHasher

        from suanli.services import accounts

        monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    admin = postgres_admin_url()
    if not admin:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (set by .ci/run)")
    with migrated_postgres_database(admin, "suanli_test") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL: SQLite and PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "suanli.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    engine = make_engine(url)
    empty_postgres(engine)
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty SQLite database only (for tests that need not run on both)."""
    path = tmp_path / "suanli.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work the test commits or not; closed (rolled back if open) afterwards."""
    s = sessions()
    yield s
    s.rollback()
    s.close()


# --- The API over a real database -------------------------------------------------------------

from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from suanli.config import Settings
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import OrganisationType, Role


@dataclass
class Api:
    """A TestClient on a fresh database with helpers to create organisations and signed-in users."""

    client: TestClient
    sessions: sessionmaker[Session]
    tokens: dict[str, str] = field(default_factory=dict)

    def organisation(self, name: str, type: OrganisationType = OrganisationType.ENTERPRISE, **facts: object) -> int:
        from suanli.services.organisations import create_organisation

        with unit_of_work(self.sessions) as s:
            return create_organisation(s, name=name, name_zh=name, type=type, city="成都", **facts).id  # type: ignore[arg-type]

    def user(self, username: str, role: Role, organisation_id: int) -> dict[str, str]:
        from suanli.services.accounts import create_user

        with unit_of_work(self.sessions) as s:
            create_user(s, username=username, password=PASSWORD, role=role, organisation_id=organisation_id)
        response = self.client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.tokens[username] = response.json()["token"]
        return self.auth(username)

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def load_federation(self, text: str = SMALL_FEDERATION) -> None:
        from suanli.services.federation import load_federation

        with unit_of_work(self.sessions) as s:
            load_federation(s, text=text)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data", worker_interval_s=0.1,  # type: ignore[arg-type]
                    login_lockout_seconds=60)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    from suanli.api.app import create_app

    app = create_app(settings)
    with TestClient(app) as client:
        yield Api(client, app.state.sessions)
