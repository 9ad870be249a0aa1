"""Engines for the two first-class databases: SQLite (embedded default) and PostgreSQL (psycopg 3).

SQLite gets WAL, foreign keys and a busy timeout on every connection, and `BEGIN IMMEDIATE` for
every transaction behind one writer lock per engine: the threads of a process queue on that lock in
order (a hand-off in microseconds) instead of polling SQLite's busy handler, and give up after the busy
timeout with an `OperationalError` the edges answer as 503 (other processes still meet the busy
timeout inside SQLite).

PostgreSQL sessions of an engine built from settings (`engine_from_settings`) carry `lock_timeout`,
`statement_timeout` and `idle_in_transaction_session_timeout`, and the pool waits at most
`db_pool_timeout_s` for a connection: under load a request fails fast instead of queueing behind a
lock holder that can never finish (docs/operations-load.md).

Disconnects cost no round trip on the hot path (no `pool_pre_ping`, which sent a `SELECT 1` on every
checkout): a pooled connection is replaced after `pool_recycle_s`; at checkout a zero-timeout poll of
its socket finds one the server closed while it sat in the pool (a restart, `pg_terminate_backend`,
an idle timeout: the server's goodbye is waiting to be read), and the pool opens a fresh one in its
place before any statement of the transaction ran; a connection lost in the middle of a transaction
is invalidated by SQLAlchemy (the pool's older connections with it) and the request answers 503 with
Retry-After (`busy_reason`), never a 500.
"""

from __future__ import annotations

import select
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

if TYPE_CHECKING:
    from suanli.config import Settings


@dataclass(frozen=True, slots=True)
class Limits:
    """What an engine may wait for; 0 ms turns a PostgreSQL timeout off."""

    pool_size: int = 10
    max_overflow: int = 20
    pool_timeout_s: float = 30.0
    lock_timeout_ms: int = 0
    statement_timeout_ms: int = 0
    idle_in_transaction_timeout_ms: int = 0
    sqlite_busy_timeout_ms: int = 30000
    sqlite_wal_autocheckpoint_pages: int = 10000
    # Below the usual server, proxy and firewall idle cut-offs (often one or two hours).
    pool_recycle_s: int = 1800


def limits_from(settings: Settings) -> Limits:
    return Limits(pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
                  pool_timeout_s=settings.db_pool_timeout_s, lock_timeout_ms=settings.db_lock_timeout_ms,
                  statement_timeout_ms=settings.db_statement_timeout_ms,
                  idle_in_transaction_timeout_ms=settings.db_idle_in_transaction_timeout_ms,
                  sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms, pool_recycle_s=settings.db_pool_recycle_s,
                  sqlite_wal_autocheckpoint_pages=settings.sqlite_wal_autocheckpoint_pages)


def engine_from_settings(settings: Settings, **kwargs: Any) -> Engine:
    """The engine a server or worker process uses: pool and timeouts from configuration."""
    return make_engine(settings.url, limits=limits_from(settings), **kwargs)


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def probe_engine(url: str) -> Engine:
    """A tiny engine for readiness probes, apart from the business pool so a probe never waits behind
    business requests: SQLite reads without BEGIN IMMEDIATE (WAL readers never block), PostgreSQL
    with short connect, lock and statement timeouts."""
    url = normalise_url(url)
    if is_sqlite(url):
        from sqlalchemy.pool import NullPool

        return create_engine(url, poolclass=NullPool, connect_args={"check_same_thread": False, "timeout": 1})
    return create_engine(url, pool_size=1, max_overflow=1, pool_timeout=1, pool_pre_ping=True,
                         connect_args={"connect_timeout": 2,
                                       "options": "-c lock_timeout=1000 -c statement_timeout=2000"})


def make_engine(url: str, *, limits: Limits | None = None, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    configured = limits is not None
    limits = limits or Limits()
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if configured and database and database != ":memory:":
            kwargs.setdefault("pool_size", limits.pool_size)
            kwargs.setdefault("max_overflow", limits.max_overflow)
            kwargs.setdefault("pool_timeout", limits.pool_timeout_s)
        busy_s = limits.sqlite_busy_timeout_ms / 1000
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_s}, **kwargs)
        _configure_sqlite(engine, limits.sqlite_busy_timeout_ms, limits.sqlite_wal_autocheckpoint_pages)
        return engine
    kwargs.setdefault("pool_size", limits.pool_size)
    kwargs.setdefault("max_overflow", limits.max_overflow)
    kwargs.setdefault("pool_timeout", limits.pool_timeout_s)
    kwargs.setdefault("pool_recycle", limits.pool_recycle_s)
    options = [f"-c {name}={value}" for name, value in (
        ("lock_timeout", limits.lock_timeout_ms), ("statement_timeout", limits.statement_timeout_ms),
        ("idle_in_transaction_session_timeout", limits.idle_in_transaction_timeout_ms)) if value]
    if options:
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args["options"] = " ".join([connect_args.get("options", ""), *options]).strip()
        kwargs["connect_args"] = connect_args
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkout", _replace_if_closed_by_server)
    return engine


def _replace_if_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """At checkout: a pooled connection whose socket has something to read was closed by the server
    (an idle connection in the pool is owed nothing else), so the pool replaces it with a fresh one
    (it retries a checkout that raises DisconnectionError) before the transaction sends anything."""
    if _server_hung_up(dbapi_connection):
        raise DisconnectionError("the server closed this pooled connection")


def _server_hung_up(dbapi_connection: Any) -> bool:
    if not hasattr(select, "poll"):  # no poll(2) (Windows): the disconnect shows at the first statement
        return False
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # noqa: BLE001 - a closed or broken connection has no socket: replace it
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))  # readable, hung up or in error: the server said goodbye


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, autocheckpoint_pages: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (so BEGIN IMMEDIATE works).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A checkpoint copies the WAL's pages back into the database and syncs both files; at SQLite's
        # default of 1,000 pages that is every ~70 ledger transfers (~14 pages each). Rarer checkpoints
        # copy a hot page once however often it changed in between (measured: +10-25 % transfers/s).
        cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint_pages)}")
        cursor.close()

    writer = _WriterLock(busy_timeout_ms / 1000)
    dialect = engine.dialect  # one dialect object per engine: wrapping its methods touches no other engine
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_begin(dbapi_connection: Any) -> None:
        # Straight to the driver (through exec_driver_sql BEGIN costs ~17 µs of SQLAlchemy on every
        # transaction, measured in bench_audit). Raised here, a driver error becomes SQLAlchemy's.
        writer.acquire(dbapi_connection)
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
        except BaseException:
            writer.release(dbapi_connection)
            raise

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            writer.release(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:  # also the pool's reset when a connection comes back
        try:
            rollback(dbapi_connection)
        finally:
            writer.release(dbapi_connection)

    dialect.do_begin = do_begin  # type: ignore[method-assign]
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine, "close")
    def on_close(dbapi_connection: Any, _record: Any) -> None:
        writer.release(dbapi_connection)

    @event.listens_for(engine, "invalidate")
    def on_invalidate(dbapi_connection: Any, _record: Any, _exc: Any) -> None:
        if dbapi_connection is not None:
            writer.release(dbapi_connection)


class _WriterLock:
    """The one writer path of a SQLite engine: held from BEGIN IMMEDIATE to COMMIT/ROLLBACK."""

    def __init__(self, timeout_s: float) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None
        self.timeout_s = timeout_s

    def acquire(self, dbapi_connection: Any) -> None:
        if not self._lock.acquire(timeout=self.timeout_s):
            raise sqlite3.OperationalError(f"database is locked (no writer slot within {self.timeout_s:g} s)")
        self._holder = _identity(dbapi_connection)

    def release(self, dbapi_connection: Any) -> None:
        if self._holder is not None and self._holder == _identity(dbapi_connection):
            self._holder = None
            self._lock.release()


def _identity(connection: Any) -> int:
    """The driver connection under a pool proxy (the dialect sees proxies, pool events raw ones)."""
    return id(getattr(connection, "dbapi_connection", None) or connection)


# --- what the edges make of a database that is busy --------------------------------------------------------

# PostgreSQL SQLSTATEs: lock_timeout (55P03), statement or user cancel (57014), idle-in-transaction
# timeout (25P03), too many connections (53300); a deadlock (40P01) or serialisation failure (40001)
# is a conflict to retry.
_BUSY_STATES = {"55P03", "57014", "25P03", "53300", "53400"}
_RETRY_STATES = {"40P01", "40001"}


def busy_reason(exc: BaseException) -> str | None:
    """Why a database error means "busy, retry later" (503), or None for any other error."""
    if isinstance(exc, PoolTimeout):
        return "no database connection free"
    if not isinstance(exc, DBAPIError):
        return None
    state = getattr(exc.orig, "sqlstate", None)
    if state in _BUSY_STATES:
        return {"55P03": "a row it needs is locked by another request",
                "57014": "the statement ran past its time limit",
                "25P03": "the transaction stayed idle too long"}.get(state, "too many database connections")
    if isinstance(exc, OperationalError) and "database is locked" in str(exc.orig):
        return "the database is locked by another writer"
    if exc.connection_invalidated:  # lost mid-transaction: the pool has replaced it for the retry
        return "the database connection was lost"
    return None


def is_retryable_conflict(exc: BaseException) -> bool:
    """A deadlock or serialisation failure: the same request may succeed if sent again (409)."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _RETRY_STATES
