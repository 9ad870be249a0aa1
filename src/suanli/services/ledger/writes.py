"""The ledger's one write path: a list of checked requests (one for `transfer`/`reserve`/`post`/
`void`/`reverse`, many for a redemption batch) becomes transfers in one lock pass.

Order, the same for every writer so many writers are correct together: lock the holds (and transfers
to reverse) in id order; then lock the involved accounts in id order with one statement that also counts
used keys and closed periods (`SELECT ... FOR NO KEY UPDATE`; SQLite's BEGIN IMMEDIATE serialises
writers; a lone post or void locks its hold and the hold's accounts in one statement); answer replays; check every request in the domain against the locked state, in order; insert
all transfers in one statement, all legs in one executemany; settle the holds; append all audit events
with one `record_events` call. The database re-checks every invariant (migrations 0002, 0006).
Services only flush; the caller's unit of work commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.repositories import ledger as repo
from suanli.domain.errors import Conflict, InvalidInput
from suanli.domain.ledger import (
    AccountPurpose,
    AccountState,
    Hold,
    Leg,
    OwnerKind,
    TransferKind,
    TransferStatus,
    UnknownAccount,
    UnknownTransfer,
    apply_legs,
    post_legs,
    reserve_legs,
    reversal_legs,
    status_after,
    void_legs,
)
from suanli.domain.ledger.idempotency import check_replay, request_hash
from suanli.domain.ledger.periods import check_open, period_of
from suanli.domain.ledger.requests import Checked, Immediate, Post, Reserve, Reverse, Void, item
from suanli.domain.ledger.transfers import check_reversible
from suanli.domain.money import CURRENCY, Fen
from suanli.services.audit import outbox_rows, outbox_written, record_events
from suanli.services.ledger.accounts import Event, open_account

ATTEMPTS = 3  # a concurrent writer can take one of our keys between our check and our insert


@dataclass(frozen=True, slots=True)
class TransferResult:
    id: int
    idempotency_key: str
    kind: str
    status: str
    amount_fen: Fen
    legs: tuple[Leg, ...]
    parent_id: int | None
    source_kind: str
    source_id: str
    memo: str
    period: str
    effective_at: datetime
    posted_fen: Fen = 0
    released_fen: Fen = 0
    replayed: bool = False  # True when this answers a repeated request with the original result


@dataclass
class _Pass:
    """One lock pass: what is locked and known, and what the requests will write."""

    holds: dict[int, Any]  # locked transfer rows (holds, transfers to reverse) by id
    states: dict[int, AccountState] = field(default_factory=dict)
    clearing: dict[int, int] = field(default_factory=dict)  # hold debit account -> its owner's clearing
    used: dict[str, tuple[str, int]] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    credits: set[int] | None = None  # existing credit accounts of holds; None = all exist
    events: list[Event] = field(default_factory=list)  # accounts opened on the way, logged with the transfers
    reversed_legs: dict[int, list[Leg]] = field(default_factory=dict)


def write(session: Session, checked: Sequence[Checked], *, batch: bool = False) -> list[TransferResult]:
    """Write the requests as one unit; a bad request fails them all (in a batch, naming its index)."""
    now = utcnow()
    moments = [c.request.effective_at or now for c in checked]
    periods = [period_of(m) for m in moments]
    targets = [t for c in checked if (t := _target(c.request)) is not None]
    work, locked = _lock_targets(session, checked, targets, periods)
    for c in checked:
        _check_target(work, c, batch)
    reversing = [c.request.transfer_id for c in checked if isinstance(c.request, Reverse)]
    work.reversed_legs = repo.legs_of(session, reversing) if reversing else {}
    for _attempt in range(ATTEMPTS):
        _lock(session, work, checked, periods, locked)
        locked = None  # a retry locks afresh
        plan = _plan(work, checked, moments, periods, now, batch)
        # One transfer, and no account opened on the way: its event goes in with it, in one statement.
        logged = len(plan.rows) == 1 and not work.events
        ids = _insert(session, plan, logged)
        if ids is not None:
            break
    else:
        raise Conflict("concurrent requests keep taking these idempotency keys; retry the request")
    if plan.holds:
        repo.forget(session, plan.holds)  # loaded ORM copies of the holds reload on next access
    for transfer_id in plan.reversals:
        repo.update_transfer(session, transfer_id, status=TransferStatus.REVERSED.value)
    if logged:
        outbox_written(session)
    else:
        events = work.events + [_event(row, legs, f"{SUBJECT}{ids[key]}")
                                for row, (key, legs) in zip(plan.rows, plan.legs, strict=True)]
        if events:  # all replays: nothing happened, nothing to log
            record_events(session, events)
    return _results(session, checked, plan, ids)


def _target(request: Any) -> int | None:
    """The transfer a request acts on: the hold to post or void, the transfer to reverse."""
    if isinstance(request, Post | Void):
        return int(request.pending_id)
    return int(request.transfer_id) if isinstance(request, Reverse) else None


def _lock_targets(session: Session, checked: Sequence[Checked], targets: list[int],
                  periods: list[str]) -> tuple[_Pass, repo.Locked | None]:
    """Lock the holds to post or void and the transfers to reverse. A lone post or void (the hottest
    request: every job's completion) locks its hold's accounts in the same statement, one round trip
    fewer; what that lock saw is handed to `_lock`."""
    request = checked[0].request if len(checked) == 1 else None
    if isinstance(request, Post | Void):
        found = repo.lock_hold_and_accounts(session, int(request.pending_id), keys=[request.idempotency_key],
                                            months=periods)
        if found is not None:
            return _Pass({found[0].id: found[0]}), found[1]
    return _Pass(repo.lock_holds(session, targets) if targets else {}), None


def _check_target(work: _Pass, c: Checked, batch: bool) -> None:
    target = _target(c.request)
    if target is None:
        return
    row = work.holds.get(target)
    with item(c.index if batch else None):
        if isinstance(c.request, Reverse) and row is None:
            raise UnknownTransfer(f"transfer {target} does not exist", transfer=target)
        if not isinstance(c.request, Reverse) and (row is None or row.kind != TransferKind.RESERVE.value):
            raise UnknownTransfer(f"transfer {target} is not a hold", transfer=target)


def _lock(session: Session, work: _Pass, checked: Sequence[Checked], periods: list[str],
          locked: repo.Locked | None = None) -> None:
    """Lock every account the requests may touch (unless `locked` already did); find the holds'
    clearing accounts, opening missing ones."""
    ids: set[int] = set()
    debits, credits = [], []
    for c in checked:
        request = c.request
        if isinstance(request, Immediate):
            ids.update(x.account_id for x in request.legs)
        elif isinstance(request, Reserve):
            ids.add(request.debit_account_id)
            debits.append(request.debit_account_id)
            credits.append(request.credit_account_id)
        elif isinstance(request, Post | Void):
            row = work.holds[request.pending_id]
            ids.update((row.clearing_account_id, row.credit_account_id, row.debit_account_id))
        else:
            ids.update(x.account_id for x in work.reversed_legs[request.transfer_id])
    keys = [c.request.idempotency_key for c in checked]
    if locked is None:
        locked = repo.lock_accounts(session, ids, hold_debits=debits, keys=keys, months=periods, credits=credits)
    if locked is None:  # nothing matched, so the counts are unknown: ask directly
        work.states, work.clearing = {}, {}
        work.used, work.closed = repo.used_keys(session, keys), repo.closed_months(session, periods)
        work.credits = repo.existing_accounts(session, credits)
        return
    work.states = dict(locked.states)
    work.used = repo.used_keys(session, keys) if locked.replays else {}
    work.closed = repo.closed_months(session, periods) if locked.closed else set()
    work.credits = None if locked.credits == len(set(credits)) else repo.existing_accounts(session, credits)
    _clearings(session, work, locked.owners, debits)


def _clearings(session: Session, work: _Pass, owners: dict[int, tuple[str, int | None, str]], debits: list[int]) -> None:
    """Holds wait in a clearing account of the debited account's owner (one per owner, so unrelated
    holds never queue on one hot row); one is opened, and locked, on first use."""
    by_owner = {(kind, owner): aid for aid, (kind, owner, purpose) in owners.items()
                if purpose == AccountPurpose.CLEARING.value}
    wanted = {debit: owners[debit][:2] for debit in set(debits) if debit in owners}
    missing = sorted({o for o in wanted.values() if o not in by_owner}, key=lambda o: (o[0], o[1] or 0))
    # After every other lock is held: an account only this transaction can see cannot make it wait.
    for kind, owner in missing:
        by_owner[kind, owner] = open_account(session, purpose=AccountPurpose.CLEARING, owner_kind=OwnerKind(kind),
                                             owner_id=owner, events=work.events).id
    if missing:
        fresh = repo.lock_accounts(session, [by_owner[o] for o in missing])
        assert fresh is not None
        work.states.update(fresh.states)
    work.clearing = {debit: by_owner[owner] for debit, owner in wanted.items()}


@dataclass
class _Plan:
    rows: list[dict[str, Any]] = field(default_factory=list)  # transfers to insert
    legs: list[tuple[str, tuple[Leg, ...]]] = field(default_factory=list)  # (key, legs), as rows
    holds: dict[int, Hold] = field(default_factory=dict)  # holds after this write
    reversals: list[int] = field(default_factory=list)
    replays: dict[int, int] = field(default_factory=dict)  # request index -> original transfer id
    results: dict[int, int] = field(default_factory=dict)  # request index -> row number in `rows`


def _plan(work: _Pass, checked: Sequence[Checked], moments: list[datetime], periods: list[str], now: datetime,
          batch: bool) -> _Plan:
    """Check each request against the locked state, in order, as if the ones before it were written."""
    plan, states = _Plan(), dict(work.states)
    reversed_now: set[int] = set()
    for n, c in enumerate(checked):
        with item(c.index if batch else None):
            digest = request_hash(c.body)
            if c.request.idempotency_key in work.used:
                stored, transfer_id = work.used[c.request.idempotency_key]
                check_replay(c.request.idempotency_key, stored, digest)
                plan.replays[n] = transfer_id
                continue
            legs, values = _movement(work, plan, c.request, reversed_now)
            check_open(periods[n], periods[n] in work.closed)
            for account_id, balance in apply_legs(states, legs).items():
                was = states[account_id]  # (a constructor call: dataclasses.replace is slow in a loop)
                states[account_id] = AccountState(account_id, was.code, was.normal_sign, was.non_negative, balance,
                                                  was.currency)
        row = {"idempotency_key": c.request.idempotency_key, "request_hash": digest, "currency": CURRENCY,
               "period": periods[n], "effective_at": moments[n], "created_at": now, "parent_id": None,
               "debit_account_id": None, "credit_account_id": None, "clearing_account_id": None,
               "posted_fen": 0, "released_fen": 0, **values}
        row["memo"] = row["memo"][:500]
        plan.results[n] = len(plan.rows)
        plan.rows.append(row)
        plan.legs.append((c.request.idempotency_key, legs))
    return plan


def _movement(work: _Pass, plan: _Plan, request: Any, reversed_now: set[int]) -> tuple[tuple[Leg, ...], dict[str, Any]]:
    """The legs of one request and the columns of its transfer row."""
    posted = TransferStatus.POSTED.value
    if isinstance(request, Immediate):
        return request.legs, {"kind": TransferKind.IMMEDIATE.value, "status": posted, "memo": request.memo,
                              "amount_fen": sum(x.amount_fen for x in request.legs if x.amount_fen > 0),
                              "source_kind": request.source_kind, "source_id": request.source_id}
    if isinstance(request, Reserve):
        return _reserve(work, request)
    if isinstance(request, Reverse):
        row = work.holds[request.transfer_id]
        status = TransferStatus.REVERSED if request.transfer_id in reversed_now else TransferStatus(row.status)
        check_reversible(status, TransferKind(row.kind))
        reversed_now.add(request.transfer_id)
        plan.reversals.append(request.transfer_id)
        return reversal_legs(work.reversed_legs[request.transfer_id]), {
            "kind": TransferKind.REVERSAL.value, "status": posted, "amount_fen": int(row.amount_fen),
            "memo": request.memo or f"reversal of {row.id}", "source_kind": row.source_kind,
            "source_id": row.source_id, "parent_id": row.id}
    row = work.holds[request.pending_id]
    hold = plan.holds.get(row.id) or repo.hold_of(row)
    if isinstance(request, Post):
        amount = hold.remaining_fen if request.amount_fen is None else request.amount_fen
        legs, released = post_legs(hold, amount, final=request.final)
        kind, source = TransferKind.POST, (request.source_kind or row.source_kind,
                                           request.source_id if request.source_id is not None else row.source_id)
    else:
        amount, legs, released = 0, void_legs(hold), hold.remaining_fen
        kind, source = TransferKind.VOID, (row.source_kind, row.source_id)
    plan.holds[row.id] = Hold(hold.transfer_id, hold.debit_account_id, hold.credit_account_id,
                              hold.clearing_account_id, hold.amount_fen, hold.posted_fen + amount,
                              hold.released_fen + released, status_after(hold, posted_fen=amount, released_fen=released))
    return legs, {"kind": kind.value, "status": posted, "amount_fen": amount + released, "memo": request.memo,
                  "source_kind": source[0], "source_id": source[1], "parent_id": row.id}


def _reserve(work: _Pass, request: Reserve) -> tuple[tuple[Leg, ...], dict[str, Any]]:
    debit, credit = request.debit_account_id, request.credit_account_id
    if debit not in work.states:
        raise UnknownAccount(f"account {debit} does not exist", account=debit)
    if work.credits is not None and credit not in work.credits:
        raise UnknownAccount(f"account {credit} does not exist", account=credit)
    if credit == debit:
        raise UnknownAccount("a hold needs a credit account other than its debit account", account=credit)
    clearing = work.clearing[debit]
    if clearing == debit:
        raise InvalidInput(f"account {debit} is a clearing account; holds cannot be taken from it")
    legs = reserve_legs(debit_account_id=debit, clearing_account_id=clearing, amount_fen=request.amount_fen)
    return legs, {"kind": TransferKind.RESERVE.value, "status": TransferStatus.PENDING.value,
                  "amount_fen": request.amount_fen, "memo": request.memo, "source_kind": request.source_kind,
                  "source_id": request.source_id, "debit_account_id": debit, "credit_account_id": credit,
                  "clearing_account_id": clearing}


def _insert(session: Session, plan: _Plan, logged: bool) -> dict[str, int] | None:
    """Write the transfers, legs and holds (and, `logged`, the one transfer's audit event); None when
    a concurrent writer took one of the keys (nothing kept then: a lone transfer that conflicts
    writes nothing, several roll back a savepoint)."""
    if not plan.rows:
        return {}
    legs = [(key, one) for key, transfer_legs in plan.legs for one in transfer_legs]
    holds = list(plan.holds.values())
    if len(plan.rows) == 1:
        event = outbox_rows([_event(plan.rows[0], plan.legs[0][1], SUBJECT)])[0] if logged else None
        return repo.write_transfers(session, plan.rows, legs, holds, event) or None
    savepoint = session.begin_nested()
    ids = repo.write_transfers(session, plan.rows, legs, holds)
    if len(ids) < len(plan.rows):
        savepoint.rollback()
        return None
    savepoint.commit()
    return ids


SUBJECT = "ledger_transfer:"  # a transfer's event subject: this and its id


def _event(row: dict[str, Any], legs: Sequence[Leg], subject: str) -> Event:
    return (f"ledger.{row['kind']}_posted", subject,
            {"idempotency_key": row["idempotency_key"], "kind": row["kind"], "amount_fen": row["amount_fen"],
             "parent_id": row["parent_id"], "source": f"{row['source_kind']}:{row['source_id']}",
             "legs": [[x.account_id, x.amount_fen] for x in legs]}, None)


def _results(session: Session, checked: Sequence[Checked], plan: _Plan, ids: dict[str, int]) -> list[TransferResult]:
    replayed_rows, replayed_legs = (repo.transfers_with_legs(session, list(plan.replays.values()))
                                    if plan.replays else ({}, {}))
    results = []
    for n in range(len(checked)):
        if n in plan.replays:
            tid = plan.replays[n]
            results.append(replace(result_of(replayed_rows[tid], replayed_legs[tid]), replayed=True))
            continue
        row, (key, legs) = plan.rows[plan.results[n]], plan.legs[plan.results[n]]
        results.append(TransferResult(ids[key], key, row["kind"], row["status"], row["amount_fen"], tuple(legs),
                                      row["parent_id"], row["source_kind"], row["source_id"], row["memo"],
                                      row["period"], row["effective_at"]))
    return results


def result_of(row: Any, legs: Sequence[Leg]) -> TransferResult:
    return TransferResult(row.id, row.idempotency_key, row.kind, row.status, int(row.amount_fen), tuple(legs),
                          row.parent_id, row.source_kind, row.source_id, row.memo, row.period, row.effective_at,
                          int(row.posted_fen), int(row.released_fen))
