"""What the repositories need to know of the two databases: which one a session talks to, the
INSERT that can say ON CONFLICT (SQLAlchemy offers it per dialect, not on the generic insert), and a
driver cursor for the hot statements that errs as SQLAlchemy would."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def upsert(session: Session, table: Any) -> Any:
    """`INSERT` for `table` in the session's dialect, with `.on_conflict_do_nothing/update` available."""
    return postgresql.insert(table) if dialect_of(session) == "postgresql" else sqlite.insert(table)


_CURSOR = "suanli.driver_cursor"  # the DBAPI connection's kept cursor, in its pool record's info


class driver_cursor:  # a context manager used like a function: with driver_cursor(connection) as cursor
    """A cursor of the connection's own DBAPI connection, inside its transaction, for pre-built SQL.

    A driver error leaves wrapped as Core execution would wrap it (IntegrityError, DataError,
    OperationalError ..., a lost connection invalidated), so the unit of work and the API's problem
    handlers treat it alike: a lock timeout is a 503, a number past a BIGINT a 422, never a 500.

    The cursor is kept with the DBAPI connection and used again (a psycopg cursor costs tens of
    microseconds to make, several times per money transaction); one in use (a nested block) or one
    of a replaced connection is never shared. A class, not a @contextmanager generator, for the same
    reason."""

    __slots__ = ("connection", "cursor", "fairy", "kept", "shared")

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        fairy = self.fairy = connection.connection
        dbapi = fairy.dbapi_connection
        kept = fairy.info.get(_CURSOR)  # [its DBAPI connection, the cursor, in use]
        self.shared = kept is None or kept[0] is not dbapi or not kept[2]
        if self.shared and (kept is None or kept[0] is not dbapi):
            kept = fairy.info[_CURSOR] = [dbapi, fairy.cursor(), False]
        self.kept = kept if self.shared else [dbapi, fairy.cursor(), False]
        self.cursor = self.kept[1]
        self.kept[2] = True

    def __enter__(self) -> Any:
        return self.cursor

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        self.kept[2] = False
        if exc is None and self.shared:
            return
        if self.shared:  # after an error, a fresh cursor next time
            self.fairy.info.pop(_CURSOR, None)
        with suppress(Exception):  # a connection the server closed cannot close its cursor either
            self.cursor.close()
        if exc is None:
            return
        if isinstance(exc, self.connection.dialect.loaded_dbapi.Error):
            self.connection._handle_dbapi_exception(exc, None, None, self.cursor, None)
