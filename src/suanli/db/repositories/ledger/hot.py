"""The ledger's hot statements as pre-built SQL on the session's own DBAPI connection, inside the
session's transaction (as the audit outbox's appends): the lock pass, and the write of one transfer.

Why not SQLAlchemy Core here: profiled on one request per transaction, SQLAlchemy's per-statement
machinery (execution context, expanding IN lists re-rendered on every call, result proxies) and
psycopg's array dumpers (22 arrays for one transfer) cost several times the SQL itself. So each
statement has one fixed text whatever the number of ids (PostgreSQL: array literals passed as one
text parameter, so psycopg prepares it once per connection; SQLite: `json_each` over a JSON list),
and one transfer is written with plain scalar parameters. Batches keep the array statement of
`writes` (its dumping is paid once per batch).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

from suanli.db.models.ledger import LedgerTransferRow
from suanli.db.repositories.audit import OUTBOX_COLUMNS, OutboxRow, insert_outbox
from suanli.db.repositories.dialects import driver_cursor
from suanli.domain.ledger import Hold, Leg, TransferKind

SCALAR_LIMIT = 8  # up to this many of each, the lock pass binds scalars (one request); beyond, lists (a batch)


class AccountRow(NamedTuple):
    id: int
    code: str
    purpose: str
    owner_kind: str
    owner_id: int | None
    normal_sign: int
    non_negative: bool
    balance_fen: int
    currency: str
    replays: int
    closed: int
    credits: int


class HoldRow(NamedTuple):
    """A locked transfer (a hold to post or void, a transfer to reverse): what the write path reads."""

    id: int
    kind: str
    status: str
    amount_fen: int
    posted_fen: int
    released_fen: int
    debit_account_id: int | None
    credit_account_id: int | None
    clearing_account_id: int | None
    source_kind: str
    source_id: str


_ACCOUNT_COLUMNS = "a.id, a.code, a.purpose, a.owner_kind, a.owner_id, a.normal_sign, a.non_negative, a.balance_fen, a.currency"
# The owner's clearing account of account d, by its code (= account_code(CLEARING, kind, id)) on the unique index.
_CLEARING_CODE = "'clearing:' || d.owner_kind || coalesce(':' || CAST(d.owner_id AS VARCHAR), '')"
_HOLD_COLUMNS = ("id, kind, status, amount_fen, posted_fen, released_fen, debit_account_id, credit_account_id, "
                 "clearing_account_id, source_kind, source_id")
# One transfer's columns, in the order `write_one` binds them (`sealed` is written by the statement).
TRANSFER_COLUMNS = ("idempotency_key", "request_hash", "kind", "status", "amount_fen", "currency", "memo",
                    "source_kind", "source_id", "period", "effective_at", "parent_id", "debit_account_id",
                    "credit_account_id", "clearing_account_id", "posted_fen", "released_fen", "created_at")


class _Sql:
    """The statements for one dialect, and how a list becomes their one parameter."""

    def __init__(self, dialect: Dialect) -> None:
        self.postgres = dialect.name == "postgresql"
        if self.postgres:
            ints, texts = "%s::integer[]", "%s::varchar[]"
            self.int_list: Callable[[Iterable[int]], str] = _int_array
            self.text_list: Callable[[Iterable[str]], str] = _text_array
            has = "= ANY({})".format
            lock_accounts, lock_holds, closed = " FOR NO KEY UPDATE OF a", " FOR NO KEY UPDATE", "p.closed"
        else:
            ints = texts = "(SELECT value FROM json_each(?))"
            self.int_list, self.text_list = _json_ints, _json_list
            has = "IN {}".format
            lock_accounts = lock_holds = ""  # BEGIN IMMEDIATE already holds the database
            closed = "p.closed = 1"
        self.closed, self.lock_for = closed, lock_accounts
        self._by_arity: dict[tuple[int, ...], str] = {}
        # Lock the accounts and the clearing accounts of hold debits in id order (a stable order, so two
        # writers never deadlock), counting used keys, closed months and existing credit accounts.
        self.lock_accounts = (
            f"SELECT {_ACCOUNT_COLUMNS}, "
            f"(SELECT count(*) FROM ledger_transfers t WHERE t.idempotency_key {has(texts)}) AS replays, "
            f"(SELECT count(*) FROM ledger_periods p WHERE {closed} AND p.month {has(texts)}) AS closed, "
            f"(SELECT count(*) FROM ledger_accounts c WHERE c.id {has(ints)}) AS credits "
            f"FROM ledger_accounts a WHERE a.id {has(ints)} OR a.id IN ("
            f"SELECT c.id FROM ledger_accounts c JOIN ledger_accounts d ON c.code = {_CLEARING_CODE} "
            f"WHERE d.id {has(ints)}) ORDER BY a.id{lock_accounts}")
        self.lock_holds = f"SELECT {_HOLD_COLUMNS} FROM ledger_transfers WHERE id {has(ints)} ORDER BY id{lock_holds}"
        self.hold_lock = lock_holds
        mark = "%s" if self.postgres else "?"
        marks = ", ".join([mark] * len(TRANSFER_COLUMNS))
        columns = ", ".join(TRANSFER_COLUMNS)
        if self.postgres:
            # One round trip: the transfer (born sealed; the deferred constraint trigger checks it at
            # commit), its legs in the given order, and the hold it settles -- only if the transfer went
            # in (a key taken meanwhile by a concurrent writer: nothing is written at all).
            # With its audit event, whose subject ends in the transfer's id: one statement fewer.
            write = (
                f"WITH t AS (INSERT INTO ledger_transfers ({columns}, sealed) VALUES ({marks}, true) "
                "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id), "
                "l AS (INSERT INTO ledger_legs (transfer_id, account_id, amount_fen) SELECT t.id, x.account_id, x.amount "
                "FROM t, unnest(%s::integer[], %s::bigint[]) WITH ORDINALITY AS x(account_id, amount, n) ORDER BY x.n), "
                "h AS (UPDATE ledger_transfers AS s SET posted_fen = %s::bigint, released_fen = %s::bigint, "
                "status = %s::varchar FROM t WHERE s.id = %s::integer)")
            self.write_one = write + " SELECT id FROM t"
            self.write_one_logged = (
                f"{write}, o AS (INSERT INTO audit_outbox ({', '.join(OUTBOX_COLUMNS)}) "
                "SELECT %s::varchar, CAST(%s AS VARCHAR) || CAST(t.id AS VARCHAR), %s::integer, %s::bytea, %s::varchar "
                "FROM t) SELECT id FROM t")
        else:
            # In-process, no round trips: one statement each; born unsealed and sealed after its legs
            # (the seal trigger checks they sum to zero).
            self.write_one = (f"INSERT INTO ledger_transfers ({columns}, sealed) VALUES ({marks}, 0) "
                              "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id")
            self.insert_legs = "INSERT INTO ledger_legs (transfer_id, account_id, amount_fen) VALUES (?, ?, ?)"
            self.seal = "UPDATE ledger_transfers SET sealed = 1 WHERE id = ?"
            self.settle_hold = "UPDATE ledger_transfers SET posted_fen = ?, released_fen = ?, status = ? WHERE id = ?"
        table = cast(Table, LedgerTransferRow.__table__)
        # What UTCDateTime does for one value (to UTC; on SQLite, also to its text form).
        processor = table.c.effective_at.type.dialect_impl(dialect).bind_processor(dialect)
        assert processor is not None
        self.moment: Callable[[datetime], Any] = processor

    def lock_accounts_scalar(self, ids: int, debits: int, keys: int, months: int, credits: int) -> str:
        """The lock statement for a few of each, every value its own scalar parameter: PostgreSQL then
        keeps one generic plan of index lookups (the array form's estimates made it plan every call
        afresh: pg_prepared_statements showed 0 generic, 597 custom plans in 300 redemptions)."""
        arity = (ids, debits, keys, months, credits)
        sql = self._by_arity.get(arity)
        if sql is None:
            int_, text_ = ("%s::integer", "%s::varchar") if self.postgres else ("?", "?")

            def among(count: int, mark: str) -> str:
                return "(" + ", ".join([mark] * count) + ")" if count else "(NULL)"

            clearing = [(f"(SELECT c.id FROM ledger_accounts c JOIN ledger_accounts d ON c.code = {_CLEARING_CODE} "
                         f"WHERE d.id = {int_})")] * debits
            sql = self._by_arity[arity] = (
                f"SELECT {_ACCOUNT_COLUMNS}, "
                f"(SELECT count(*) FROM ledger_transfers t WHERE t.idempotency_key IN {among(keys, text_)}) AS replays, "
                f"(SELECT count(*) FROM ledger_periods p WHERE {self.closed} AND p.month IN {among(months, text_)}) "
                f"AS closed, (SELECT count(*) FROM ledger_accounts c WHERE c.id IN {among(credits, int_)}) AS credits "
                f"FROM ledger_accounts a WHERE a.id IN ({', '.join([int_] * ids + clearing) or 'NULL'}) "
                f"ORDER BY a.id{self.lock_for}")
        return sql

    def lock_hold_and_accounts(self, keys: int, months: int) -> str:
        """One post or void: lock the hold, then its three accounts in id order, in one statement (the
        order of the two-step pass: holds first), each account row carrying the hold's columns."""
        sql = self._by_arity.get(("hold", keys, months))
        if sql is None:
            text_ = "%s::varchar" if self.postgres else "?"

            def among(count: int) -> str:
                return "(" + ", ".join([text_] * count) + ")" if count else "(NULL)"

            hold = ", ".join(f"h.{c}" for c in _HOLD_COLUMNS.split(", "))
            sql = self._by_arity["hold", keys, months] = (
                f"WITH h AS {'MATERIALIZED ' if self.postgres else ''}(SELECT {_HOLD_COLUMNS} FROM ledger_transfers "
                f"WHERE id = {'%s::integer' if self.postgres else '?'}{self.hold_lock}) "
                f"SELECT {_ACCOUNT_COLUMNS}, "
                f"(SELECT count(*) FROM ledger_transfers t WHERE t.idempotency_key IN {among(keys)}) AS replays, "
                f"(SELECT count(*) FROM ledger_periods p WHERE {self.closed} AND p.month IN {among(months)}) "
                f"AS closed, 0 AS credits, {hold} "
                "FROM h JOIN ledger_accounts a ON a.id IN (h.clearing_account_id, h.credit_account_id, h.debit_account_id) "
                f"WHERE h.kind = '{TransferKind.RESERVE.value}' ORDER BY a.id{self.lock_for}")
        return sql

    def lock_holds_scalar(self, count: int) -> str:
        sql = self._by_arity.get((count,))
        if sql is None:
            marks = ", ".join(["%s::integer" if self.postgres else "?"] * count)
            sql = self._by_arity[count,] = (f"SELECT {_HOLD_COLUMNS} FROM ledger_transfers WHERE id IN ({marks}) "
                                            f"ORDER BY id{self.hold_lock}")
        return sql


_statements: dict[Dialect, _Sql] = {}


def _sql(connection: Connection) -> _Sql:
    sql = _statements.get(connection.dialect)
    if sql is None:
        sql = _statements[connection.dialect] = _Sql(connection.dialect)
    return sql


def _run(session: Session, statement: Callable[[_Sql], str], params: Callable[[_Sql], Sequence[Any]]) -> list[Any]:
    connection = session.connection()  # begins the session's transaction (SQLite: BEGIN IMMEDIATE)
    sql = _sql(connection)
    with driver_cursor(connection) as cursor:
        cursor.execute(statement(sql), params(sql))
        return list(cursor.fetchall())


def lock_accounts(session: Session, ids: Sequence[int], debits: Sequence[int], keys: Sequence[str],
                  months: Sequence[str], credits: Sequence[int]) -> list[AccountRow]:
    """The locked accounts in id order, each with the counts (see `writes.lock_accounts`)."""
    if max(len(ids), len(debits), len(keys), len(months), len(credits)) <= SCALAR_LIMIT:
        rows = _run(session, lambda sql: sql.lock_accounts_scalar(
            len(ids), len(debits), len(keys), len(months), len(credits)),
            lambda sql: (*keys, *months, *credits, *ids, *debits))
    else:
        rows = _run(session, lambda sql: sql.lock_accounts, lambda sql: (
            sql.text_list(keys), sql.text_list(months), sql.int_list(credits), sql.int_list(ids), sql.int_list(debits)))
    return [AccountRow(*row) for row in rows]


def lock_holds(session: Session, ids: Sequence[int]) -> list[HoldRow]:
    if len(ids) <= SCALAR_LIMIT:
        rows = _run(session, lambda sql: sql.lock_holds_scalar(len(ids)), lambda sql: ids)
    else:
        rows = _run(session, lambda sql: sql.lock_holds, lambda sql: (sql.int_list(ids),))
    return [HoldRow(*row) for row in rows]


def lock_hold_and_accounts(session: Session, hold_id: int, keys: Sequence[str],
                           months: Sequence[str]) -> tuple[HoldRow, list[AccountRow]] | None:
    """Lock a hold and its accounts (see `_Sql.lock_hold_and_accounts`): one round trip where the
    two-step pass takes two; None when `hold_id` is no hold (the caller then asks the two-step way,
    which tells a missing transfer from one that is not a hold)."""
    rows = _run(session, lambda sql: sql.lock_hold_and_accounts(len(keys), len(months)),
                lambda sql: (hold_id, *keys, *months))
    if not rows:
        return None
    width = len(AccountRow._fields)
    return HoldRow(*rows[0][width:]), [AccountRow(*row[:width]) for row in rows]


def write_one(session: Session, row: dict[str, Any], legs: Sequence[Leg], hold: Hold | None,
              event: OutboxRow | None = None) -> int | None:
    """Insert one transfer with its legs, settle the hold it posts or voids, and append its audit
    event to the outbox (`event`'s subject gets the transfer's id appended); the transfer's id, or
    None when a concurrent writer took its key meanwhile (nothing is written then)."""
    connection = session.connection()
    sql = _sql(connection)
    values = [row[c] for c in TRANSFER_COLUMNS]
    values[10], values[17] = sql.moment(values[10]), sql.moment(values[17])  # effective_at, created_at
    with driver_cursor(connection) as cursor:
        if sql.postgres:
            settle = (hold.posted_fen, hold.released_fen, hold.status.value, hold.transfer_id) if hold else (None,) * 4
            cursor.execute(sql.write_one if event is None else sql.write_one_logged, (
                *values, _int_array(x.account_id for x in legs), _int_array(x.amount_fen for x in legs), *settle,
                *(event or ())))
            found = cursor.fetchone()
            return None if found is None else int(found[0])
        cursor.execute(sql.write_one, values)
        found = cursor.fetchone()
        if found is None:
            return None
        transfer_id = int(found[0])
        cursor.executemany(sql.insert_legs, [(transfer_id, x.account_id, x.amount_fen) for x in legs])
        cursor.execute(sql.seal, (transfer_id,))
        if hold is not None:
            cursor.execute(sql.settle_hold, (hold.posted_fen, hold.released_fen, hold.status.value, hold.transfer_id))
    if event is not None:
        kind, subject, *rest = event
        insert_outbox(connection, [(kind, subject + str(transfer_id), *rest)])
    return transfer_id


def _int_array(values: Iterable[int]) -> str:
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def _text_array(values: Iterable[str]) -> str:
    """A PostgreSQL array literal of strings: each element quoted, `"` and `\\` escaped."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def _json_ints(values: Iterable[int]) -> str:
    return "[" + ",".join(str(int(v)) for v in values) + "]"


def _json_list(values: Iterable[Any]) -> str:
    return json.dumps(list(values), ensure_ascii=False)

