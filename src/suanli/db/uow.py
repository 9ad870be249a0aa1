"""Sessions and the unit of work.

Whoever receives the request (HTTP dependency, CLI command, worker tick) opens a `unit_of_work`,
calls services with its session, and the unit commits once at the end or rolls back on any error.
Services and repositories only `flush`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from suanli.domain.errors import Conflict


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
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
