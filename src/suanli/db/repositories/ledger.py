"""All SQL of the ledger: accounts, transfers and legs, holds, periods, charges, invoices, statements
and batches, and `check_consistency`, the audit of the ledger's invariants over the whole database.

The hot path (lock accounts, insert a transfer and its legs) uses Core statements: the balance cache
is maintained by a database trigger, so ORM objects would only go stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Row, String, Table, bindparam, func, insert, literal, select, text, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from suanli.db.models.ledger import (
    DisbursementBatchRow,
    InvoiceLineRow,
    InvoiceRow,
    LedgerAccountRow,
    LedgerChargeRow,
    LedgerLegRow,
    LedgerPeriodRow,
    LedgerTransferRow,
    SettlementStatementRow,
)
from suanli.domain.ledger import AccountState, Hold, Leg, TransferStatus

A, T, L = LedgerAccountRow, LedgerTransferRow, LedgerLegRow


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(session: Session, table: Any) -> Any:
    return (postgresql.insert(table) if _dialect(session) == "postgresql" else sqlite.insert(table))


# --- accounts ---------------------------------------------------------------------------------------


def get_account(session: Session, account_id: int) -> LedgerAccountRow | None:
    return session.get(A, account_id, populate_existing=True)


def get_account_by_code(session: Session, code: str) -> LedgerAccountRow | None:
    return session.scalar(select(A).where(A.code == code).execution_options(populate_existing=True))


def account_id_by_code(session: Session, code: str) -> int | None:
    return session.scalar(select(A.id).where(A.code == code))


def insert_account(session: Session, values: dict[str, Any]) -> int:
    """Create the account unless one with the same code exists (concurrent openers both succeed)."""
    statement = _insert(session, A).values(balance_fen=0, **values).on_conflict_do_nothing(index_elements=["code"])
    session.execute(statement)
    found = account_id_by_code(session, values["code"])
    assert found is not None
    return found


def list_accounts(session: Session, *, owner_kind: str | None = None, owner_id: int | None = None,
                  purpose: str | None = None, offset: int = 0, limit: int = 500) -> Sequence[LedgerAccountRow]:
    query = select(A).order_by(A.id).offset(offset).limit(limit).execution_options(populate_existing=True)
    if owner_kind is not None:
        query = query.where(A.owner_kind == owner_kind)
    if owner_id is not None:
        query = query.where(A.owner_id == owner_id)
    if purpose is not None:
        query = query.where(A.purpose == purpose)
    return session.scalars(query).all()


def balance_from_legs(session: Session, account_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(L.amount_fen), 0)).where(L.account_id == account_id)) or 0)


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


def transfers_with_legs(session: Session, transfer_ids: Sequence[int]) -> tuple[dict[int, Row[Any]], dict[int, list[Leg]]]:
    """Transfer rows and their legs (in posting order), by id, in two statements."""
    connection = session.connection()
    rows = {row.id: row for row in connection.execute(_TRANSFERS, {"ids": list(transfer_ids)})}
    legs: dict[int, list[Leg]] = {tid: [] for tid in transfer_ids}
    for row in connection.execute(_LEGS, {"ids": list(transfer_ids)}):
        legs[row.transfer_id].append(Leg(row.account_id, int(row.amount_fen)))
    return rows, legs


def legs_of(session: Session, transfer_ids: Sequence[int]) -> dict[int, list[Leg]]:
    return transfers_with_legs(session, transfer_ids)[1]


def get_transfer(session: Session, transfer_id: int) -> LedgerTransferRow | None:
    return session.scalar(select(T).where(T.id == transfer_id).execution_options(populate_existing=True))


def hold_of(row: Any) -> Hold:
    return Hold(row.id, row.debit_account_id, row.credit_account_id, row.clearing_account_id, int(row.amount_fen),
                int(row.posted_fen), int(row.released_fen), TransferStatus(row.status))


def update_transfer(session: Session, transfer_id: int, **values: Any) -> None:
    session.connection().execute(update(TT).where(TT.c.id == transfer_id).values(**values))
    forget(session, [transfer_id])


def list_transfers(session: Session, *, account_id: int | None = None, source_kind: str | None = None,
                   source_id: str | None = None, offset: int = 0, limit: int = 100) -> Sequence[LedgerTransferRow]:
    query = select(T).order_by(T.id.desc()).offset(offset).limit(limit).execution_options(populate_existing=True)
    if account_id is not None:
        query = query.where(T.id.in_(select(L.transfer_id).where(L.account_id == account_id)))
    if source_kind is not None:
        query = query.where(T.source_kind == source_kind)
    if source_id is not None:
        query = query.where(T.source_id == source_id)
    return session.scalars(query).all()


def open_holds(session: Session, *, source_kind: str, source_id: str) -> Sequence[LedgerTransferRow]:
    return session.scalars(select(T).where(T.source_kind == source_kind, T.source_id == source_id,
                                           T.status == TransferStatus.PENDING.value, T.kind == "reserve")
                           .order_by(T.id).execution_options(populate_existing=True)).all()


def account_entries(session: Session, account_id: int, *, start: datetime | None, end: datetime | None,
                    limit: int = 1000) -> Sequence[Any]:
    """An account's legs in posting order, with the transfer each came from."""
    query = (select(L.id, L.amount_fen, T.id.label("transfer_id"), T.kind, T.status, T.memo, T.source_kind,
                    T.source_id, T.effective_at, T.period)
             .join(T, T.id == L.transfer_id).where(L.account_id == account_id).order_by(L.id).limit(limit))
    if start is not None:
        query = query.where(T.effective_at >= start)
    if end is not None:
        query = query.where(T.effective_at < end)
    return session.execute(query).all()


def sum_before(session: Session, account_id: int, start: datetime) -> int:
    query = (select(func.coalesce(func.sum(L.amount_fen), 0)).join(T, T.id == L.transfer_id)
             .where(L.account_id == account_id, T.effective_at < start))
    return int(session.scalar(query) or 0)


# --- periods ---------------------------------------------------------------------------------------------


def period_closed(session: Session, month: str) -> bool:
    return bool(session.scalar(select(LedgerPeriodRow.closed).where(LedgerPeriodRow.month == month)))


def close_period(session: Session, month: str, *, closed_at: datetime, closed_by: str) -> None:
    session.execute(_insert(session, LedgerPeriodRow).values(month=month, closed=False, created_at=closed_at)
                    .on_conflict_do_nothing(index_elements=["month"]))
    session.execute(update(LedgerPeriodRow).where(LedgerPeriodRow.month == month)
                    .values(closed=True, closed_at=closed_at, closed_by=closed_by))


def list_periods(session: Session) -> Sequence[LedgerPeriodRow]:
    return session.scalars(select(LedgerPeriodRow).order_by(LedgerPeriodRow.month)).all()


# --- charges, invoices, statements, batches ------------------------------------------------------------


def get_charge_for_usage(session: Session, usage_record_id: int) -> LedgerChargeRow | None:
    return session.scalar(select(LedgerChargeRow).where(LedgerChargeRow.usage_record_id == usage_record_id))


def charges(session: Session, *, organisation_id: int | None = None, provider_account_id: int | None = None,
            month: str | None = None) -> Sequence[LedgerChargeRow]:
    query = select(LedgerChargeRow).order_by(LedgerChargeRow.id)
    if organisation_id is not None:
        query = query.where(LedgerChargeRow.organisation_id == organisation_id)
    if provider_account_id is not None:
        query = query.where(LedgerChargeRow.provider_account_id == provider_account_id)
    if month is not None:
        query = query.where(LedgerChargeRow.month == month)
    return session.scalars(query).all()


def charge_organisations(session: Session, month: str) -> list[int]:
    return list(session.scalars(select(LedgerChargeRow.organisation_id).where(LedgerChargeRow.month == month)
                                .distinct().order_by(LedgerChargeRow.organisation_id)))


def charge_providers(session: Session, month: str) -> list[int]:
    return list(session.scalars(select(LedgerChargeRow.provider_account_id).where(LedgerChargeRow.month == month)
                                .distinct().order_by(LedgerChargeRow.provider_account_id)))


def get_invoice(session: Session, invoice_id: int) -> InvoiceRow | None:
    return session.get(InvoiceRow, invoice_id)


def find_invoice(session: Session, organisation_id: int, month: str) -> InvoiceRow | None:
    return session.scalar(select(InvoiceRow).where(InvoiceRow.organisation_id == organisation_id,
                                                   InvoiceRow.month == month))


def list_invoices(session: Session, *, organisation_id: int | None = None, month: str | None = None) -> Sequence[InvoiceRow]:
    query = select(InvoiceRow).order_by(InvoiceRow.id)
    if organisation_id is not None:
        query = query.where(InvoiceRow.organisation_id == organisation_id)
    if month is not None:
        query = query.where(InvoiceRow.month == month)
    return session.scalars(query).all()


def invoice_lines(session: Session, invoice_id: int) -> Sequence[InvoiceLineRow]:
    return session.scalars(select(InvoiceLineRow).where(InvoiceLineRow.invoice_id == invoice_id)
                           .order_by(InvoiceLineRow.id)).all()


def get_statement(session: Session, statement_id: int) -> SettlementStatementRow | None:
    return session.get(SettlementStatementRow, statement_id)


def find_statement(session: Session, provider_account_id: int, month: str) -> SettlementStatementRow | None:
    return session.scalar(select(SettlementStatementRow).where(
        SettlementStatementRow.provider_account_id == provider_account_id, SettlementStatementRow.month == month))


def list_statements(session: Session, *, provider_account_ids: Sequence[int] | None = None, month: str | None = None,
                    batch_id: int | None = None, unbatched: bool = False) -> Sequence[SettlementStatementRow]:
    query = select(SettlementStatementRow).order_by(SettlementStatementRow.id)
    if provider_account_ids is not None:
        query = query.where(SettlementStatementRow.provider_account_id.in_(provider_account_ids))
    if month is not None:
        query = query.where(SettlementStatementRow.month == month)
    if batch_id is not None:
        query = query.where(SettlementStatementRow.batch_id == batch_id)
    if unbatched:
        query = query.where(SettlementStatementRow.batch_id.is_(None))
    return session.scalars(query).all()


def get_batch(session: Session, batch_id: int, *, for_update: bool = False) -> DisbursementBatchRow | None:
    query = select(DisbursementBatchRow).where(DisbursementBatchRow.id == batch_id)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def list_batches(session: Session, *, status: str | None = None) -> Sequence[DisbursementBatchRow]:
    query = select(DisbursementBatchRow).order_by(DisbursementBatchRow.id)
    if status is not None:
        query = query.where(DisbursementBatchRow.status == status)
    return session.scalars(query).all()


def next_number(session: Session, table: Any, prefix: str) -> str:
    count = session.scalar(select(func.count()).select_from(table)) or 0
    return f"{prefix}{count + 1:06d}"


# --- consistency -------------------------------------------------------------------------------------------


def check_consistency(session: Session) -> list[str]:
    """Every violated ledger invariant in the database, as readable lines (empty = consistent).

    Checks: each transfer's legs sum to zero over two or more legs and the transfer is sealed; each
    account's cached balance equals the sum of its legs; no account that must stay non-negative is
    below zero; each owner's clearing balance equals the holds it still carries.
    """
    problems: list[str] = []
    sums = (select(L.transfer_id, func.sum(L.amount_fen).label("total"), func.count().label("n"))
            .group_by(L.transfer_id).subquery())
    for row in session.execute(select(T.id, T.sealed, sums.c.total, sums.c.n).outerjoin(sums, sums.c.transfer_id == T.id)):
        if not row.n or row.n < 2 or row.total != 0:
            problems.append(f"transfer {row.id}: {row.n or 0} legs summing to {row.total or 0} fen")
        if not row.sealed:
            problems.append(f"transfer {row.id}: not sealed")
    leg_sums = select(L.account_id, func.sum(L.amount_fen).label("total")).group_by(L.account_id).subquery()
    accounts = session.execute(select(A.id, A.code, A.balance_fen, A.normal_sign, A.non_negative, leg_sums.c.total)
                               .outerjoin(leg_sums, leg_sums.c.account_id == A.id)).all()
    for row in accounts:
        derived = int(row.total or 0)
        if int(row.balance_fen) != derived:
            problems.append(f"account {row.code}: cached balance {row.balance_fen} != sum of legs {derived}")
        if row.non_negative and derived * row.normal_sign < 0:
            problems.append(f"account {row.code}: below zero ({derived * row.normal_sign} fen)")
    held = dict(session.execute(select(T.clearing_account_id, func.sum(T.amount_fen - T.posted_fen - T.released_fen))
                                .where(T.status == TransferStatus.PENDING.value, T.kind == "reserve")
                                .group_by(T.clearing_account_id)).all())
    for row in accounts:
        if row.code.startswith("clearing:") and -int(row.total or 0) != int(held.get(row.id, 0) or 0):
            problems.append(f"account {row.code}: holds {-(row.total or 0)} fen but open holds add to {held.get(row.id, 0)}")
    return problems
