"""Sessions and the unit of work.

Whoever receives the request (HTTP dependency, CLI command, worker tick) opens a `unit_of_work`,
calls services with its session, and the unit commits once at the end or rolls back on any error.
Services and repositories only `flush`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.engine import busy_reason, is_retryable_conflict
from suanli.domain.errors import Conflict, ServiceBusy, SuanliError

RETRY_AFTER_S = 1


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        try:
            session.commit()
        except IntegrityError as exc:
            # A database rule refused the change at commit (a race another writer won): a 409 to
            # the caller, never a crash and never a success.
            raise Conflict(f"the change conflicts with data written meanwhile; retry ({type(exc.orig).__name__})") from None
    except BaseException as exc:
        with suppress(Exception):  # the server may have ended the session (a timeout): nothing to undo
            session.rollback()
        translated = busy_error(exc)
        if translated is not None:
            raise translated from None
        raise
    finally:
        session.close()


def busy_error(exc: BaseException) -> SuanliError | None:
    """A database that is busy (lock, statement or pool timeout, SQLite locked) as a 503 to retry
    later, a deadlock or serialisation failure as a 409 to retry; None for anything else."""
    reason = busy_reason(exc)
    if reason is not None:
        return ServiceBusy(f"the service is busy ({reason}); retry in {RETRY_AFTER_S} s", retry_after_s=RETRY_AFTER_S)
    if is_retryable_conflict(exc):
        return Conflict("the change raced another one (deadlock or serialisation failure); retry")
    return None
