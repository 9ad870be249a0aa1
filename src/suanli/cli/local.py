"""The local admin commands' one door to the database on this host: a unit of work on
SUANLI_DATABASE_URL (committed when the block succeeds) and the migration runner.

Only what an operator on the server may do goes through here (migrate, load the demo, the demo
accounts, the audit key and export, the ledger's consistency check, the worker); everything a user
does goes through the API (`cli/client.py`). This is the one CLI module that imports `suanli.db`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from suanli import bootstrap
from suanli.cli.common import fail
from suanli.config import load_settings
from suanli.db.engine import engine_from_settings, make_engine
from suanli.db.migrate import upgrade
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.errors import SuanliError


@contextmanager
def database_session() -> Iterator[Session]:
    """A unit of work on SUANLI_DATABASE_URL: commits when the block succeeds."""
    settings = load_settings()
    bootstrap.wire(settings)
    engine = make_engine(settings.url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            yield session
    except SuanliError as exc:
        fail(exc.detail)
    except OperationalError as exc:
        fail(f"database error: {str(exc.orig).strip().splitlines()[0] if exc.orig else exc}")
    finally:
        engine.dispose()


def migrate(url: str | None = None) -> None:
    """Apply every migration to the database (SUANLI_DATABASE_URL unless `url`)."""
    engine = make_engine(url or load_settings().url)
    try:
        upgrade(engine)
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        fail(f"migration failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    finally:
        engine.dispose()


@contextmanager
def sessions() -> Iterator[sessionmaker[Session]]:
    """A session factory on SUANLI_DATABASE_URL for a long-running local process (the worker)."""
    settings = load_settings()
    bootstrap.wire(settings)
    engine = engine_from_settings(settings)  # pool and timeouts from configuration (docs/operations-load.md)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()
