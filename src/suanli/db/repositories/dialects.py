"""What the repositories need to know of the two databases: which one a session talks to, the
INSERT that can say ON CONFLICT (SQLAlchemy offers it per dialect, not on the generic insert), and a
driver cursor for the hot statements that errs as SQLAlchemy would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def upsert(session: Session, table: Any) -> Any:
    """`INSERT` for `table` in the session's dialect, with `.on_conflict_do_nothing/update` available."""
    return postgresql.insert(table) if dialect_of(session) == "postgresql" else sqlite.insert(table)


@contextmanager
def driver_cursor(connection: Connection) -> Iterator[Any]:
    """A cursor of the connection's own DBAPI connection, inside its transaction, for pre-built SQL.

    A driver error leaves wrapped as Core execution would wrap it (IntegrityError, DataError,
    OperationalError ..., a lost connection invalidated), so the unit of work and the API's problem
    handlers treat it alike: a lock timeout is a 503, a number past a BIGINT a 422, never a 500."""
    cursor = connection.connection.cursor()
    try:
        yield cursor
    except connection.dialect.loaded_dbapi.Error as exc:
        connection._handle_dbapi_exception(exc, None, None, cursor, None)
    finally:
        with suppress(Exception):  # a connection the server closed cannot close its cursor either
            cursor.close()
