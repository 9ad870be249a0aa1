"""The write path: lock accounts and holds and write one transfer through the pre-built SQL of `hot`;
write a batch of transfers with their legs and settled holds (one statement over arrays on
PostgreSQL); the rarer look-ups as Core statements; forget stale ORM copies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from suanli.db.models.ledger import (
    LedgerPeriodRow,
)
from suanli.db.repositories.audit import OutboxRow
from suanli.db.repositories.ledger import hot
from suanli.db.repositories.ledger._common import A, L, T, _dialect
from suanli.domain.ledger import AccountState, Hold, Leg

# --- Core statements for batches and the rarer look-ups ---------------------------------------------------
# Built once at import with expanding IN parameters, so SQLAlchemy's compiled cache answers every call,
# and executed on the session's connection: no ORM statement building, no ORM objects.

AT, TT, LT, PT = (cast(Table, x.__table__) for x in (A, T, L, LedgerPeriodRow))


def _ids(name: str) -> Any:
    return bindparam(name, expanding=True)


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
    rows = hot.lock_accounts(session, sorted(set(account_ids)), sorted(set(hold_debits)), list(keys),
                             sorted(set(months)), sorted(set(credits)))
    return _locked(rows) if rows else None


def lock_hold_and_accounts(session: Session, hold_id: int, *, keys: Sequence[str],
                           months: Iterable[str]) -> tuple[Any, Locked] | None:
    """Lock one hold, then its accounts, as `lock_holds` then `lock_accounts` would, in one statement:
    the hold's row and what the lock saw; None when `hold_id` is no hold (ask the two-step way)."""
    found = hot.lock_hold_and_accounts(session, hold_id, list(keys), sorted(set(months)))
    return None if found is None else (found[0], _locked(found[1]))


def _locked(rows: Sequence[hot.AccountRow]) -> Locked:
    first = rows[0]
    return Locked({r.id: AccountState(r.id, r.code, r.normal_sign, bool(r.non_negative), int(r.balance_fen), r.currency)
                   for r in rows}, {r.id: (r.owner_kind, r.owner_id, r.purpose) for r in rows},
                  int(first.replays), int(first.closed), int(first.credits))


def lock_holds(session: Session, transfer_ids: Iterable[int]) -> dict[int, Any]:
    """Lock transfers (holds to post or void) in id order; those that exist, by id."""
    ids = sorted(set(transfer_ids))
    return {row.id: row for row in hot.lock_holds(session, ids)} if ids else {}


def used_keys(session: Session, keys: Sequence[str]) -> dict[str, tuple[str, int]]:
    """key -> (request hash, transfer id) for the keys already taken."""
    rows = session.connection().execute(_KEYS, {"keys": list(keys)})
    return {r.idempotency_key: (r.request_hash, int(r.id)) for r in rows}


def closed_months(session: Session, months: Iterable[str]) -> set[str]:
    return set(session.connection().execute(_CLOSED, {"months": sorted(set(months))}).scalars())


def existing_accounts(session: Session, account_ids: Iterable[int]) -> set[int]:
    return set(session.connection().execute(_EXISTING, {"ids": sorted(set(account_ids))}).scalars())


def write_transfers(session: Session, rows: Sequence[dict[str, Any]], legs: Sequence[tuple[str, Leg]],
                    holds: Sequence[Hold], event: OutboxRow | None = None) -> dict[str, int]:
    """Insert transfers, their legs ((transfer key, leg) pairs) and settle the holds; key -> id of the
    transfers inserted. A key missing from the answer was taken meanwhile by a concurrent writer
    (`ON CONFLICT DO NOTHING`); the caller must then discard the unit (a savepoint).

    PostgreSQL: one statement over arrays (`unnest`: the same short SQL whatever the number of rows,
    so psycopg parses it once, and one INSERT of legs, so the balance trigger of migration 0006 runs
    once); transfers are born sealed, the deferred constraint trigger checks them at commit.
    SQLite (in-process, no round trips): one statement each; a transfer is born unsealed and sealed
    after its legs (the seal trigger checks they sum to zero).

    `event`, for one transfer only: its audit event's outbox row, written with it (`hot.write_one`)."""
    if len(rows) == 1:  # one request per transaction: scalar parameters, no arrays to dump
        transfer_id = hot.write_one(session, rows[0], [one for _, one in legs], holds[0] if holds else None, event)
        return {} if transfer_id is None else {rows[0]["idempotency_key"]: transfer_id}
    assert event is None, "a batch's events are appended after its transfers"
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
