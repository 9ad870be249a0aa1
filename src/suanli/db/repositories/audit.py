"""All SQL of the transparency log: the outbox business transactions append to, the sequencer's
lock on the log state, node lookups for proofs, signed tree heads and event listings.

Business transactions only INSERT into `audit_outbox` (no shared row is touched, so two of them never
wait on each other for the log). The sequencer serialises on a row lock of the single
`audit_log_state` row (`lock_for_sequencing`: `FOR UPDATE SKIP LOCKED` on PostgreSQL so a second
sequencer simply finds nothing to do; on SQLite BEGIN IMMEDIATE already holds the database lock),
takes outbox rows with DELETE ... RETURNING and stores them as events (`advance_state`, whose UPDATE
re-checks the state it computed from). The hot statements run as pre-built SQL on the session's own
DBAPI connection, inside the session's transaction: SQLAlchemy's per-statement machinery cost several
times the SQL itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

from suanli.db.models.audit import (
    LOG_STATE_ID,
    AuditEvent,
    AuditLogState,
    AuditNode,
    AuditOutbox,
    AuditTreeHead,
)
from suanli.db.repositories.dialects import driver_cursor
from suanli.db.repositories.paging import keyset
from suanli.domain.audit.merkle import NodeKey, pack, unpack

# Core table statements: appends are hot, and the ORM bulk-insert path costs more than the SQL itself.
_EVENTS = insert(cast(Table, AuditEvent.__table__))
_NODES = insert(cast(Table, AuditNode.__table__))
_STATE = select(AuditLogState.tree_size, AuditLogState.frontier).where(AuditLogState.id == LOG_STATE_ID)


def lock_state(session: Session) -> tuple[int, list[bytes]]:
    """Lock the log for appending until the transaction ends; return (tree size, frontier)."""
    row = session.execute(_STATE.with_for_update()).first()
    if row is None:
        _create_state(session)
        row = session.execute(_STATE.with_for_update()).one()
    return int(row.tree_size), unpack(row.frontier)


def lock_for_sequencing(session: Session, *, skip_locked: bool) -> tuple[int, list[bytes]] | None:
    """Lock the log state for the sequencer until the transaction ends; None when `skip_locked` and
    another sequencer holds it (PostgreSQL; SQLite's single writer never finds it held)."""
    if not skip_locked or session.get_bind().dialect.name != "postgresql":
        return lock_state(session)
    row = session.execute(_STATE.with_for_update(skip_locked=True)).first()
    if row is not None:
        return int(row.tree_size), unpack(row.frontier)
    if session.execute(_STATE).first() is not None:
        return None  # it exists, so another sequencer holds it
    return lock_state(session)  # the log's first sequencing creates the row (a second one waits for it)


# An outbox row as `insert_outbox` takes it: kind, subject, organisation_id, payload, recorded_at.
OutboxRow = tuple[str, str, int | None, bytes, str]
# The order of the outbox tuples `insert_outbox` takes and `take_outbox` hands back (after the id).
OUTBOX_COLUMNS = ("kind", "subject", "organisation_id", "payload", "recorded_at")
# The order of the event tuples `advance_state` takes.
EVENT_COLUMNS = ("seq", "kind", "subject", "organisation_id", "canonical", "leaf_hash", "outbox_id", "created_at")


class _HotPath:
    """The append statements for one dialect, with the bind processors SQLAlchemy would apply."""

    def __init__(self, dialect: Dialect) -> None:
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        table = cast(Table, AuditEvent.__table__)
        columns = EVENT_COLUMNS
        self.advance = (f"UPDATE audit_log_state SET tree_size = {mark}, frontier = {mark} "
                        f"WHERE id = {LOG_STATE_ID} AND tree_size = {mark} AND frontier = {mark}")
        self.insert_event = (f"INSERT INTO audit_events ({', '.join(columns)}) VALUES ",
                             f"({', '.join([mark] * len(columns))})")
        self.insert_node = ("INSERT INTO audit_nodes (level, idx, hash) VALUES ", f"({mark}, {mark}, {mark})")
        outbox = ", ".join(OUTBOX_COLUMNS)
        self.insert_outbox = (f"INSERT INTO audit_outbox ({outbox}) VALUES ", f"({', '.join([mark] * len(OUTBOX_COLUMNS))})")
        # In id order, so a batch keeps the order its writers committed in as far as ids tell it.
        self.take_outbox = (f"DELETE FROM audit_outbox WHERE id IN (SELECT id FROM audit_outbox ORDER BY id LIMIT {mark}) "
                            f"RETURNING id, {outbox}")
        # sqlite3 runs executemany in C; psycopg would send one statement per row, so batches there
        # become multi-row VALUES (as SQLAlchemy's insertmanyvalues does).
        self.multi_values = dialect.name != "sqlite"
        created_at = table.c.created_at.type
        processor = created_at.dialect_impl(dialect).bind_processor(dialect)
        self.created_at: Callable[[Any], Any] = processor or (lambda value: value)


_hot_paths: dict[Dialect, _HotPath] = {}


def _hot_path(connection: Connection) -> _HotPath:
    sql = _hot_paths.get(connection.dialect)
    if sql is None:
        sql = _hot_paths[connection.dialect] = _HotPath(connection.dialect)
    if not connection.in_transaction():  # what Core execution would do (and SQLite's BEGIN IMMEDIATE with it)
        connection.begin()
    return sql


def insert_outbox(connection: Connection, rows: Sequence[OutboxRow]) -> list[int]:
    """Append events (kind, subject, organisation_id, payload, recorded_at) to the outbox in the
    connection's transaction; their outbox ids, in the order given. Touches no shared row."""
    sql = _hot_path(connection)
    head, values = sql.insert_outbox
    with driver_cursor(connection) as cursor:
        ids: list[int] = []
        for start in range(0, len(rows), 500):
            part = rows[start:start + 500]
            cursor.execute(head + ", ".join([values] * len(part)) + " RETURNING id",
                           [value for row in part for value in row])
            # Both databases number the rows of one INSERT in the order of its VALUES.
            ids.extend(sorted(int(found[0]) for found in cursor.fetchall()))
        return ids


def take_outbox(connection: Connection, limit: int) -> list[tuple[int, str, str, int | None, bytes, str]]:
    """Delete and return up to `limit` outbox rows, oldest id first (the caller holds the log lock,
    so no other sequencer takes the same rows; a rollback puts them back)."""
    sql = _hot_path(connection)
    with driver_cursor(connection) as cursor:
        cursor.execute(sql.take_outbox, (limit,))
        rows = [(int(r[0]), r[1], r[2], r[3], bytes(r[4]), r[5]) for r in cursor.fetchall()]
    rows.sort(key=lambda row: row[0])
    return rows


def bounded_lock_wait(session: Session, wait_ms: int) -> None:
    """Wait at most `wait_ms` for a lock for the rest of this transaction (PostgreSQL; SQLite's
    transactions already hold the database's one write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = {max(1, int(wait_ms))}"))


def count_outbox(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditOutbox)) or 0)


def outbox_has_rows(session: Session) -> bool:
    return session.scalar(select(AuditOutbox.id).limit(1)) is not None


def outbox_exists(session: Session, outbox_id: int) -> bool:
    return session.scalar(select(AuditOutbox.id).where(AuditOutbox.id == outbox_id)) is not None


def event_of_outbox(session: Session, outbox_id: int) -> AuditEvent | None:
    return session.scalar(select(AuditEvent).where(AuditEvent.outbox_id == outbox_id))


def places_of_outbox(session: Session, outbox_ids: Sequence[int]) -> dict[int, tuple[int, bytes]]:
    """(seq, leaf hash) of the log events these outbox entries became (those not sequenced yet are absent)."""
    rows = session.execute(select(AuditEvent.outbox_id, AuditEvent.seq, AuditEvent.leaf_hash)
                           .where(AuditEvent.outbox_id.in_(sorted(set(outbox_ids)))))
    return {int(outbox_id): (int(seq), bytes(leaf)) for outbox_id, seq, leaf in rows}


def advance_state(connection: Connection, *, old_size: int, old_frontier: bytes, new_size: int, new_frontier: bytes,
                  events: Sequence[tuple[int, str, str, int | None, bytes, bytes, int | None]], created_at: datetime,
                  nodes: Sequence[tuple[int, int, bytes]]) -> bool:
    """Move the log from (old_size, old_frontier) to (new_size, new_frontier) and store the appended
    events (seq, kind, subject, organisation_id, canonical, leaf_hash, outbox_id; all stored at `created_at`)
    and complete subtrees (level >= 1, index, hash), in the connection's (the session's) transaction.

    Returns False, having written nothing, when the stored state is not (old_size, old_frontier):
    another writer appended first, the row does not exist yet, or an earlier transaction that
    computed the caller's state rolled back. The matching UPDATE holds the state row's lock (or, on
    SQLite, the write lock BEGIN IMMEDIATE took) until the transaction ends.
    """
    sql = _hot_path(connection)
    with driver_cursor(connection) as cursor:
        cursor.execute(sql.advance, (new_size, new_frontier, old_size, old_frontier))
        if cursor.rowcount != 1:
            return False
        at = sql.created_at(created_at)
        _insert(cursor, sql.insert_event, [(*row, at) for row in events], sql.multi_values)
        _insert(cursor, sql.insert_node, nodes, sql.multi_values)
        return True


def _insert(cursor: Any, statement: tuple[str, str], rows: Sequence[tuple[Any, ...]], multi_values: bool,
            chunk: int = 500) -> None:
    head, values = statement
    if len(rows) == 1:
        cursor.execute(head + values, rows[0])
    elif rows and not multi_values:
        cursor.executemany(head + values, rows)
    else:
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            cursor.execute(head + ", ".join([values] * len(part)), [value for row in part for value in row])


def read_state(session: Session) -> tuple[int, list[bytes]]:
    row = session.execute(_STATE).first()
    return (0, []) if row is None else (int(row.tree_size), unpack(row.frontier))


def _create_state(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    values = {"id": LOG_STATE_ID, "tree_size": 0, "frontier": b""}
    if dialect == "postgresql":
        session.execute(postgresql.insert(AuditLogState).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(AuditLogState).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - only the two first-class databases are supported
        session.execute(insert(AuditLogState).values(values))


def save_state(session: Session, *, tree_size: int, frontier: Sequence[bytes]) -> None:
    session.execute(update(cast(Table, AuditLogState.__table__)).where(AuditLogState.id == LOG_STATE_ID)
                    .values(tree_size=tree_size, frontier=pack(frontier)))


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Rows with seq, kind, subject, organisation_id, canonical, leaf_hash, created_at."""
    if rows:
        session.execute(_EVENTS, list(rows))


def insert_nodes(session: Session, nodes: Sequence[tuple[NodeKey, bytes]]) -> None:
    """Store complete subtrees of level >= 1 (level 0 is the event's own leaf hash)."""
    rows = [{"level": level, "idx": index, "hash": h} for (level, index), h in nodes if level > 0]
    if rows:
        session.execute(_NODES, rows)


def fetch_nodes(session: Session, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
    """Hashes of the given complete subtrees: two indexed queries whatever the number of keys.

    Pre-built SQL on the DBAPI cursor, like appends: building these statements through SQLAlchemy
    cost a proof ten times what the database spent answering them.
    """
    found: dict[NodeKey, bytes] = {}
    leaves = sorted({index for level, index in keys if level == 0})
    inner = sorted({(level, index) for level, index in keys if level > 0})
    if not leaves and not inner:
        return found
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    with driver_cursor(connection) as cursor:
        if leaves:
            cursor.execute(f"SELECT seq, leaf_hash FROM audit_events WHERE seq IN ({', '.join([mark] * len(leaves))})",
                           leaves)
            found.update({(0, int(seq)): bytes(h) for seq, h in cursor.fetchall()})
        if inner:
            # One (level = ? AND idx = ?) term per key: both databases answer each from the primary key
            # index (SQLite: MULTI-INDEX OR), where a row-value IN makes SQLite scan the table.
            where = " OR ".join([f"(level = {mark} AND idx = {mark})"] * len(inner))
            cursor.execute(f"SELECT level, idx, hash FROM audit_nodes WHERE {where}",
                           [value for key in inner for value in key])
            found.update({(int(level), int(idx)): bytes(h) for level, idx, h in cursor.fetchall()})
    return found


def get_event(session: Session, seq: int) -> AuditEvent | None:
    return session.get(AuditEvent, seq)


def list_events(session: Session, *, offset: int, limit: int, organisation_id: int | None = None,
                kind: str | None = None, after: int | None = None) -> Sequence[AuditEvent]:
    query = keyset(select(AuditEvent), AuditEvent.seq, after=after, offset=offset, limit=limit)
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    if kind is not None:
        query = query.where(AuditEvent.kind == kind)
    return session.scalars(query).all()


def count_events(session: Session, *, organisation_id: int | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent)
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    return int(session.scalar(query) or 0)


def iter_events(session: Session, *, below: int, batch: int = 5000) -> Iterator[tuple[int, bytes, bytes]]:
    """(seq, canonical, leaf_hash) for seq < below, in order, in batches (for export and checks)."""
    start = 0
    while start < below:
        rows = session.execute(select(AuditEvent.seq, AuditEvent.canonical, AuditEvent.leaf_hash)
                               .where(AuditEvent.seq >= start, AuditEvent.seq < min(below, start + batch))
                               .order_by(AuditEvent.seq)).all()
        for seq, canonical, leaf in rows:
            yield int(seq), bytes(canonical), bytes(leaf)
        start += batch


def insert_head(session: Session, *, tree_size: int, timestamp_ms: int, root_hash: bytes, key_id: str,
                signature: bytes, created_at: datetime) -> None:
    session.execute(insert(AuditTreeHead).values(
        tree_size=tree_size, timestamp_ms=timestamp_ms, root_hash=root_hash, key_id=key_id,
        signature=signature, created_at=created_at))


def latest_head(session: Session) -> AuditTreeHead | None:
    return session.scalar(select(AuditTreeHead).order_by(AuditTreeHead.tree_size.desc(),
                                                         AuditTreeHead.id.desc()).limit(1))


def head_of_size(session: Session, tree_size: int) -> AuditTreeHead | None:
    return session.scalar(select(AuditTreeHead).where(AuditTreeHead.tree_size == tree_size)
                          .order_by(AuditTreeHead.id.desc()).limit(1))


def list_heads(session: Session) -> Sequence[AuditTreeHead]:
    return session.scalars(select(AuditTreeHead).order_by(AuditTreeHead.tree_size, AuditTreeHead.id)).all()
