"""The write path: pre-built Core statements that lock accounts and holds, insert transfers and
their legs and settle holds (one statement over arrays on PostgreSQL), and forget stale ORM copies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import String, Table, bindparam, func, insert, literal, select, text, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from suanli.db.models.ledger import (
    LedgerPeriodRow,
)
from suanli.db.repositories.ledger._common import A, L, T, _dialect
from suanli.domain.ledger import AccountState, Hold, Leg

# --- the write path: pre-built Core statements -------------------------------------------------------------
# Built once at import with expanding IN parameters, so SQLAlchemy's compiled cache answers every call,
# and executed on the session's connection: no ORM statement building, no ORM objects on the hot path.

AT, TT, LT, PT = (cast(Table, x.__table__) for x in (A, T, L, LedgerPeriodRow))
_debit, _clearing, _credit = AT.alias("debit_account"), AT.alias("clearing_account"), AT.alias("credit_account")


def _ids(name: str) -> Any:
    return bindparam(name, expanding=True)


def _count(table: Any, where: Any) -> Any:
    return select(func.count()).select_from(table).where(where).scalar_subquery()


# The owner's clearing account, by its code (= account_code(CLEARING, kind, id)) on the unique index.
_CLEARING_OF = select(_clearing.c.id).join(_debit, _clearing.c.code == (
    literal("clearing:") + _debit.c.owner_kind
    + func.coalesce(literal(":") + sql_cast(_debit.c.owner_id, String), ""))).where(_debit.c.id.in_(_ids("debits")))

# One statement locks the accounts (plus the clearing accounts of hold debits) in id order and counts
# used keys, closed periods and existing credit accounts: the common case is one round trip.
_LOCK = (select(AT.c.id, AT.c.code, AT.c.purpose, AT.c.owner_kind, AT.c.owner_id, AT.c.normal_sign,
                AT.c.non_negative, AT.c.balance_fen, AT.c.currency,
                _count(TT, TT.c.idempotency_key.in_(_ids("keys"))).label("replays"),
                _count(PT, PT.c.closed & PT.c.month.in_(_ids("months"))).label("closed"),
                _count(_credit, _credit.c.id.in_(_ids("credits"))).label("credits"))
         .where(AT.c.id.in_(_ids("ids")) | AT.c.id.in_(_CLEARING_OF))
         .order_by(AT.c.id).with_for_update(key_share=True, of=AT))
_HOLDS = (select(TT.c.id, TT.c.kind, TT.c.status, TT.c.amount_fen, TT.c.posted_fen, TT.c.released_fen,
                 TT.c.debit_account_id, TT.c.credit_account_id, TT.c.clearing_account_id, TT.c.source_kind,
                 TT.c.source_id).where(TT.c.id.in_(_ids("ids"))).order_by(TT.c.id).with_for_update(key_share=True))
_KEYS = select(TT.c.idempotency_key, TT.c.request_hash, TT.c.id).where(TT.c.idempotency_key.in_(_ids("keys")))
_CLOSED = select(PT.c.month).where(PT.c.closed, PT.c.month.in_(_ids("months")))
_EXISTING = select(AT.c.id).where(AT.c.id.in_(_ids("ids")))
_INSERT_TRANSFERS = {"sqlite": sqlite.insert(TT).on_conflict_do_nothing(index_elements=["idempotency_key"])
                     .returning(TT.c.id, TT.c.idempotency_key)}
_INSERT_LEGS = insert(LT)
_SEAL = update(TT).where(TT.c.id.in_(_ids("ids"))).values(sealed=True)
_SETTLE_HOLD = update(TT).where(TT.c.id == bindparam("hold")).values(
    posted_fen=bindparam("posted"), released_fen=bindparam("released"), status=bindparam("new_status"))
_TRANSFERS = select(TT).where(TT.c.id.in_(_ids("ids")))
_LEGS = (select(LT.c.transfer_id, LT.c.account_id, LT.c.amount_fen).where(LT.c.transfer_id.in_(_ids("ids")))
         .order_by(LT.c.id))

# PostgreSQL bulk writes as one short statement over arrays (`unnest`): the same SQL text whatever the
# number of rows, so psycopg parses it once and the server plans it once; a multi-row VALUES list
# would be new SQL text for psycopg to parse on every call (measured: a third of the client's time).
_TRANSFER_COLUMNS = (("idempotency_key", "varchar"), ("request_hash", "varchar"), ("kind", "varchar"),
                     ("status", "varchar"), ("amount_fen", "bigint"), ("currency", "varchar"), ("memo", "varchar"),
                     ("source_kind", "varchar"), ("source_id", "varchar"), ("period", "varchar"),
                     ("effective_at", "timestamptz"), ("parent_id", "integer"), ("debit_account_id", "integer"),
                     ("credit_account_id", "integer"), ("clearing_account_id", "integer"), ("posted_fen", "bigint"),
                     ("released_fen", "bigint"), ("sealed", "boolean"), ("created_at", "timestamptz"))
_PG_WRITE = text(
    # One round trip writes a whole unit: the transfers, their legs (joined to the ids the insert
    # returned, in the given order) and the holds they settle -- the holds only if every transfer
    # went in (a key taken meanwhile by a concurrent writer leaves one out: the caller then rolls
    # back to its savepoint, or, for a lone transfer, nothing was written at all).
    f"WITH t AS (INSERT INTO ledger_transfers ({', '.join(c for c, _ in _TRANSFER_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'CAST(:{c} AS {t}[])' for c, t in _TRANSFER_COLUMNS)}) "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key), "
    "l AS (INSERT INTO ledger_legs (transfer_id, account_id, amount_fen) SELECT t.id, x.account_id, x.amount "
    "FROM unnest(CAST(:leg_keys AS varchar[]), CAST(:leg_accounts AS integer[]), CAST(:leg_amounts AS bigint[])) "
    "WITH ORDINALITY AS x(key, account_id, amount, n) JOIN t ON t.idempotency_key = x.key ORDER BY x.n), "
    "h AS (UPDATE ledger_transfers AS s SET posted_fen = v.posted, released_fen = v.released, status = v.new_status "
    "FROM unnest(CAST(:holds AS integer[]), CAST(:posted AS bigint[]), CAST(:released AS bigint[]), "
    "CAST(:statuses AS varchar[])) AS v(hold, posted, released, new_status) "
    "WHERE s.id = v.hold AND (SELECT count(*) FROM t) = :expected) "
    "SELECT id, idempotency_key FROM t")


@dataclass(frozen=True, slots=True)
class Locked:
    """What the lock statement saw: account states and owners, and counts saying whether to look closer."""

    states: dict[int, AccountState]
    owners: dict[int, tuple[str, int | None, str]]  # id -> (owner kind, owner id, purpose)
    replays: int
    closed: int
    credits: int


def lock_accounts(session: Session, account_ids: Iterable[int], *, hold_debits: Iterable[int] = (),
                  keys: Sequence[str] = (), months: Iterable[str] = (), credits: Iterable[int] = ()) -> Locked | None:
    """Lock the accounts, and the clearing accounts of `hold_debits`, in id order (a stable order, so
    two writers never deadlock); count the used `keys`, closed `months` and existing `credits`.

    `FOR NO KEY UPDATE`, not `FOR UPDATE`: a transfer that merely references an account by foreign key
    (KEY SHARE) must not wait behind, or deadlock with, a writer holding that account. None when no
    account matched (the counts are then unknown)."""
    rows = session.connection().execute(_LOCK, {
        "ids": sorted(set(account_ids)), "debits": sorted(set(hold_debits)), "keys": list(keys),
        "months": sorted(set(months)), "credits": sorted(set(credits))}).all()
    if not rows:
        return None
    first = rows[0]
    return Locked({r.id: AccountState(r.id, r.code, r.normal_sign, bool(r.non_negative), int(r.balance_fen), r.currency)
                   for r in rows}, {r.id: (r.owner_kind, r.owner_id, r.purpose) for r in rows},
                  int(first.replays), int(first.closed), int(first.credits))


def lock_holds(session: Session, transfer_ids: Iterable[int]) -> dict[int, Any]:
    """Lock transfers (holds to post or void) in id order; those that exist, by id."""
    ids = sorted(set(transfer_ids))
    return {row.id: row for row in session.connection().execute(_HOLDS, {"ids": ids})} if ids else {}


def used_keys(session: Session, keys: Sequence[str]) -> dict[str, tuple[str, int]]:
    """key -> (request hash, transfer id) for the keys already taken."""
    rows = session.connection().execute(_KEYS, {"keys": list(keys)})
    return {r.idempotency_key: (r.request_hash, int(r.id)) for r in rows}


def closed_months(session: Session, months: Iterable[str]) -> set[str]:
    return set(session.connection().execute(_CLOSED, {"months": sorted(set(months))}).scalars())


def existing_accounts(session: Session, account_ids: Iterable[int]) -> set[int]:
    return set(session.connection().execute(_EXISTING, {"ids": sorted(set(account_ids))}).scalars())


def write_transfers(session: Session, rows: Sequence[dict[str, Any]], legs: Sequence[tuple[str, Leg]],
                    holds: Sequence[Hold]) -> dict[str, int]:
    """Insert transfers, their legs ((transfer key, leg) pairs) and settle the holds; key -> id of the
    transfers inserted. A key missing from the answer was taken meanwhile by a concurrent writer
    (`ON CONFLICT DO NOTHING`); the caller must then discard the unit (a savepoint).

    PostgreSQL: one statement over arrays (`unnest`: the same short SQL whatever the number of rows,
    so psycopg parses it once, and one INSERT of legs, so the balance trigger of migration 0006 runs
    once); transfers are born sealed, the deferred constraint trigger checks them at commit.
    SQLite (in-process, no round trips): one statement each; a transfer is born unsealed and sealed
    after its legs (the seal trigger checks they sum to zero)."""
    if _dialect(session) == "postgresql":
        return _write_postgres(session, rows, legs, holds)
    connection = session.connection()
    params = [{**row, "sealed": False} for row in rows]
    ids = {r.idempotency_key: int(r.id) for r in connection.execute(_INSERT_TRANSFERS["sqlite"],
                                                                     params if len(params) > 1 else params[0])}
    if len(ids) < len(rows):
        return ids
    connection.execute(_INSERT_LEGS, [{"transfer_id": ids[key], "account_id": one.account_id,
                                       "amount_fen": one.amount_fen} for key, one in legs])
    connection.execute(_SEAL, {"ids": sorted(ids.values())})
    if holds:
        connection.execute(_SETTLE_HOLD, [{"hold": h.transfer_id, "posted": h.posted_fen, "released": h.released_fen,
                                           "new_status": h.status.value} for h in holds])
    return ids


def _write_postgres(session: Session, rows: Sequence[dict[str, Any]], legs: Sequence[tuple[str, Leg]],
                    holds: Sequence[Hold]) -> dict[str, int]:
    arrays: dict[str, Any] = {c: [row[c] for row in rows] for c, _ in _TRANSFER_COLUMNS if c != "sealed"}
    for name in ("effective_at", "created_at"):  # what UTCDateTime does for one value
        arrays[name] = [_utc(moment) for moment in arrays[name]]
    arrays.update(sealed=[True] * len(rows), expected=len(rows), leg_keys=[key for key, _ in legs],
                  leg_accounts=[one.account_id for _, one in legs], leg_amounts=[one.amount_fen for _, one in legs],
                  holds=[h.transfer_id for h in holds], posted=[h.posted_fen for h in holds],
                  released=[h.released_fen for h in holds], statuses=[h.status.value for h in holds])
    return {r.idempotency_key: int(r.id) for r in session.connection().execute(_PG_WRITE, arrays)}


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC)


def forget(session: Session, transfer_ids: Iterable[int]) -> None:
    """Expire loaded ORM copies of these transfers: Core wrote behind them."""
    if len(session.identity_map):
        for tid in transfer_ids:
            found = session.identity_map.get(identity_key(T, tid))
            if found is not None:
                session.expire(found)
