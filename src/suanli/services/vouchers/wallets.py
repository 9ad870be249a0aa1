"""Voucher wallets (券包): the best wallet for an order, holds at admission and their release, and
expiry (the remainder returns to the program budget).

`reserve_for_job` / `release_for_job` are the stand-alone path (hold wallet -> receivable); billing's
path holds the voucher share wallet -> provider payable through `hold_for_job` / `release_job_hold`
(see `billing_seam`). A wallet's counters always satisfy granted = available + reserved + redeemed +
returned, and the ledger's wallet account holds the available part.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.vouchers import VoucherProgramRow, VoucherReservationRow, VoucherWalletRow
from suanli.db.repositories import vouchers as repo
from suanli.domain.ledger import AccountPurpose, Leg, OwnerKind
from suanli.domain.organisations import Principal
from suanli.domain.vouchers import ItemKind, Order, PriorClaim, Side, SideMode, Wallet, redemption_amount
from suanli.services import benefits, ledger
from suanli.services.vouchers.common import audit_event, facts_of, known_id, ledger_account
from suanli.services.vouchers.programs import program_of, program_row


def wallet_state(w: VoucherWalletRow) -> Wallet:
    return Wallet(int(w.granted_fen), w.expires_on, int(w.reserved_fen), int(w.redeemed_fen), int(w.returned_fen))


def prior_claims_on(session: Session, basis: str) -> list[PriorClaim]:
    """Every earlier claim on the bill: voucher redemptions in any program, and awards that paid it (a
    contract or product is never paid twice across vouchers and awards; `services.benefits`). Awards
    never pay a metered usage, so a `usage:` bill reads only the redemptions."""
    claims = [PriorClaim(code, Side(side), mode == SideMode.PROVIDER_XOR_USER.value)
              for code, side, mode in repo.prior_claims(session, basis)]
    if not basis.startswith("usage:"):
        benefits.lock_basis(session, basis)
        claims += [PriorClaim(f"award:{code}", Side.DEMAND, award_title=(zh, en)) for code, zh, en, _org
                   in benefits.awards_on(session, basis)]
    return claims


def best_wallet(session: Session, organisation_id: int, order: Order, today: date,
                 ) -> tuple[VoucherWalletRow, VoucherProgramRow, int] | None:
    """The active wallet that would pay the most for this order, with that amount."""
    org = repo.get_organisation(session, organisation_id)
    assert org is not None
    best = None
    for wallet in repo.list_wallets(session, organisation_id=organisation_id, status="active"):
        if wallet.side != order.side.value:
            continue  # a supply-side voucher never pays the organisation's own purchases
        row = program_row(session, wallet.program_id)
        decision = redemption_amount(program_of(row), order, buyer=facts_of(org), wallet=wallet_state(wallet),
                                     today=today, prior=prior_claims_on(session, order.basis), project_class=wallet.project_class)
        if decision.allowed and decision.amount_fen > 0 and (best is None or decision.amount_fen > best[2]):
            best = (wallet, row, decision.amount_fen)
    return best


def reserve_for_job(session: Session, *, job_id: int, organisation_id: int, center: str, estimate_fen: int,
                    today: date | None = None) -> VoucherReservationRow | None:
    """At admission: hold the voucher's share of the job's estimated charge (None: no voucher applies)."""
    today = today or utcnow().date()
    if repo.reservation_of_job(session, job_id) is not None:
        return repo.reservation_of_job(session, job_id)
    found = best_wallet(session, organisation_id, Order(ItemKind.COMPUTE, estimate_fen, center, f"job:{job_id}"), today)
    if found is None:
        return None
    wallet = repo.get_wallet(session, found[0].id, for_update=True)
    assert wallet is not None
    amount = min(found[2], wallet_state(wallet).available_fen)
    if amount <= 0:
        return None
    receivable = ledger_account(session, AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, organisation_id)
    hold = ledger.reserve(session, idempotency_key=f"voucher:reserve:job:{job_id}", debit_account_id=known_id(wallet.ledger_account_id),
                          credit_account_id=receivable, amount_fen=amount, memo=f"voucher hold for job {job_id}",
                          source_kind="job", source_id=str(job_id))
    wallet.reserved_fen = int(wallet.reserved_fen) + amount
    reservation = repo.add(session, VoucherReservationRow(job_id=job_id, wallet_id=wallet.id, amount_fen=amount,
                                                          hold_transfer_id=hold.id, status="open"))
    audit_event(session, "voucher.reserved", f"job:{job_id}", {"wallet": wallet.id, "amount_fen": amount}, organisation_id)
    return reservation


def release_for_job(session: Session, *, job_id: int) -> int:
    """At job end: release what the hold still keeps back into the wallet; returns the fen released."""
    reservation = repo.reservation_of_job(session, job_id, for_update=True)
    if reservation is None or reservation.status != "open":
        return 0
    wallet = repo.get_wallet(session, reservation.wallet_id, for_update=True)
    assert wallet is not None
    released = int(reservation.amount_fen)
    ledger.void(session, idempotency_key=f"voucher:release:job:{job_id}", pending_id=known_id(reservation.hold_transfer_id))
    wallet.reserved_fen = int(wallet.reserved_fen) - released
    reservation.amount_fen, reservation.status = 0, "closed"
    _after_release(session, wallet, released, key=f"voucher:expire:{wallet.id}:job:{job_id}")
    audit_event(session, "voucher.released", f"job:{job_id}", {"amount_fen": released}, wallet.organisation_id)
    session.flush()
    return released


def hold_for_job(session: Session, *, job_id: int, organisation_id: int, center: str, payable_account_id: int,
                 estimate_fen: int, idempotency_key: str, today: date | None = None) -> int:
    """Billing's admission hold (reserve at admission): the voucher's expected share of the job's
    expected charge leaves the wallet into clearing, payable to the provider. Returns the fen held
    (the hold's original amount on a replay; 0 when no voucher applies). A hold opened for another
    placement of the same job is released first."""
    today = today or utcnow().date()
    reservation = repo.reservation_of_job(session, job_id, for_update=True)
    if reservation is not None and reservation.hold_transfer_id is not None:
        held = ledger.get_transfer(session, transfer_id=reservation.hold_transfer_id)
        if held.idempotency_key == idempotency_key:
            return held.amount_fen
        release_job_hold(session, job_id=job_id, reason="job placed elsewhere")
    found = best_wallet(session, organisation_id, Order(ItemKind.COMPUTE, estimate_fen, center, f"job:{job_id}"), today)
    if found is None:
        return 0
    wallet = repo.get_wallet(session, found[0].id, for_update=True)
    assert wallet is not None
    amount = min(found[2], wallet_state(wallet).available_fen)
    if amount <= 0:
        return 0
    hold = ledger.reserve(session, idempotency_key=idempotency_key, debit_account_id=known_id(wallet.ledger_account_id),
                          credit_account_id=payable_account_id, amount_fen=amount, source_kind="job",
                          source_id=str(job_id), memo=f"voucher share held for job {job_id}")
    wallet.reserved_fen = int(wallet.reserved_fen) + amount
    if reservation is None:
        reservation = repo.add(session, VoucherReservationRow(job_id=job_id, wallet_id=wallet.id, amount_fen=amount,
                                                              hold_transfer_id=hold.id, status="open"))
    else:  # one reservation row per job: a new placement reuses it
        reservation.wallet_id, reservation.amount_fen, reservation.hold_transfer_id = wallet.id, amount, hold.id
        reservation.status = "open"
    audit_event(session, "voucher.reserved", f"job:{job_id}",
           {"wallet": wallet.id, "amount_fen": amount, "transfer": hold.id}, organisation_id)
    return amount


def release_job_hold(session: Session, *, job_id: int, reason: str = "job ended") -> int:
    """Billing's release at job end: void what the voucher hold still keeps (back into the wallet)
    and close the reservation; returns the fen released. A second call releases nothing."""
    reservation = repo.reservation_of_job(session, job_id, for_update=True)
    if reservation is None or reservation.status != "open" or reservation.hold_transfer_id is None:
        return 0
    wallet = repo.get_wallet(session, reservation.wallet_id, for_update=True)
    assert wallet is not None
    hold_id = int(reservation.hold_transfer_id)
    released = int(reservation.amount_fen)
    if released:  # a hold metered to its last fen is already posted: nothing left to void
        ledger.void(session, idempotency_key=f"voucher:release:job:{job_id}:hold:{hold_id}", pending_id=hold_id,
                    memo=reason)
    wallet.reserved_fen = int(wallet.reserved_fen) - released
    reservation.amount_fen, reservation.status = 0, "closed"
    _after_release(session, wallet, released, key=f"voucher:expire:{wallet.id}:hold:{hold_id}")
    audit_event(session, "voucher.released", f"job:{job_id}", {"amount_fen": released, "transfer": hold_id, "reason": reason},
           wallet.organisation_id)
    session.flush()
    return released


def expire_due_wallets(session: Session, *, now: datetime | date | None = None,
                       actor: Principal | str | None = None) -> list[tuple[int, int]]:
    """The worker's expiry step (and the CLI's): close every active wallet whose last valid day is
    before `now`; each remainder returns to its program budget (ledger transfer wallet -> budget),
    the wallet is marked expired and a `voucher.expired` event names who ran it. Returns
    (wallet id, fen returned) per wallet closed; running it again closes nothing more."""
    today = now.date() if isinstance(now, datetime) else (now or utcnow().date())
    by = actor.user_id if isinstance(actor, Principal) else (actor or "system")
    done = []
    for stale in repo.expired_wallets(session, today):
        row = program_row(session, stale.program_id, for_update=True)
        wallet = repo.get_wallet(session, stale.id, for_update=True)
        assert wallet is not None
        if wallet.status != "active":
            continue  # another worker closed it meanwhile
        remainder = wallet_state(wallet).available_fen
        _return_to_budget(session, row, wallet, remainder, key=f"voucher:expire:{wallet.id}")
        wallet.status = "expired"
        audit_event(session, "voucher.expired", f"voucher_wallet:{wallet.id}",
                    {"returned_fen": remainder, "expires_on": wallet.expires_on.isoformat(), "by": by,
                     "still_reserved_fen": int(wallet.reserved_fen)}, wallet.organisation_id)
        done.append((wallet.id, remainder))
    session.flush()
    return done


def expire_wallets(session: Session, *, today: date | None = None) -> list[tuple[int, int]]:
    """The earlier spelling of `expire_due_wallets` (run by the system)."""
    return expire_due_wallets(session, now=today, actor="system")


def _return_to_budget(session: Session, row: VoucherProgramRow, wallet: VoucherWalletRow, amount: int, *,
                      key: str) -> None:
    """Move `amount` of a closed wallet back to its program's budget and count it as returned."""
    if amount <= 0:
        return
    ledger.transfer(session, idempotency_key=key,
                    legs=[Leg(known_id(wallet.ledger_account_id), amount), Leg(known_id(row.budget_account_id), -amount)],
                    memo="expired voucher remainder", source_kind="voucher_wallet", source_id=str(wallet.id))
    wallet.returned_fen = int(wallet.returned_fen) + amount
    row.returned_fen = int(row.returned_fen) + amount


def _after_release(session: Session, wallet: VoucherWalletRow, released: int, *, key: str) -> None:
    """A hold released into a wallet that has expired meanwhile goes on to the program budget."""
    if wallet.status == "expired" and released > 0:
        row = program_row(session, wallet.program_id, for_update=True)
        _return_to_budget(session, row, wallet, released, key=key)
