"""Voucher wallets (券包): the best wallet for an order, holds at admission and their release, and
expiry (the remainder returns to the program budget).

`reserve_for_job` / `release_for_job` are the stand-alone path (hold wallet -> receivable); billing's
path holds the voucher share wallet -> provider payable through `hold_for_job` / `release_job_hold`
(see `billing_seam`). A wallet's counters always satisfy granted = available + reserved + redeemed +
returned, and the ledger's wallet account holds the available part.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.vouchers import VoucherProgramRow, VoucherReservationRow, VoucherWalletRow
from suanli.db.repositories import vouchers as repo
from suanli.domain.ledger import AccountPurpose, Leg, OwnerKind
from suanli.domain.vouchers import ItemKind, Order, PriorClaim, Side, SideMode, Wallet, redemption_amount
from suanli.services import ledger
from suanli.services.vouchers.common import _account, _audit, _id, facts_of
from suanli.services.vouchers.programs import _get_program, program_of


def _wallet_state(w: VoucherWalletRow) -> Wallet:
    return Wallet(int(w.granted_fen), w.expires_on, int(w.reserved_fen), int(w.redeemed_fen), int(w.returned_fen))


def _prior(session: Session, basis: str) -> list[PriorClaim]:
    return [PriorClaim(code, Side(side), mode == SideMode.PROVIDER_XOR_USER.value)
            for code, side, mode in repo.prior_claims(session, basis)]


def _best_wallet(session: Session, organisation_id: int, order: Order, today: date,
                 ) -> tuple[VoucherWalletRow, VoucherProgramRow, int] | None:
    """The active wallet that would pay the most for this order, with that amount."""
    org = repo.get_organisation(session, organisation_id)
    assert org is not None
    best = None
    for wallet in repo.list_wallets(session, organisation_id=organisation_id, status="active"):
        row = _get_program(session, wallet.program_id)
        decision = redemption_amount(program_of(row), order, buyer=facts_of(org), wallet=_wallet_state(wallet),
                                     today=today, prior=_prior(session, order.basis), project_class=wallet.project_class)
        if decision.allowed and decision.amount_fen > 0 and (best is None or decision.amount_fen > best[2]):
            best = (wallet, row, decision.amount_fen)
    return best


def reserve_for_job(session: Session, *, job_id: int, organisation_id: int, center: str, estimate_fen: int,
                    today: date | None = None) -> VoucherReservationRow | None:
    """At admission: hold the voucher's share of the job's estimated charge (None: no voucher applies)."""
    today = today or utcnow().date()
    if repo.reservation_of_job(session, job_id) is not None:
        return repo.reservation_of_job(session, job_id)
    found = _best_wallet(session, organisation_id, Order(ItemKind.COMPUTE, estimate_fen, center, f"job:{job_id}"), today)
    if found is None:
        return None
    wallet = repo.get_wallet(session, found[0].id, for_update=True)
    assert wallet is not None
    amount = min(found[2], _wallet_state(wallet).available_fen)
    if amount <= 0:
        return None
    receivable = _account(session, AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, organisation_id)
    hold = ledger.reserve(session, idempotency_key=f"voucher:reserve:job:{job_id}", debit_account_id=_id(wallet.ledger_account_id),
                          credit_account_id=receivable, amount_fen=amount, memo=f"voucher hold for job {job_id}",
                          source_kind="job", source_id=str(job_id))
    wallet.reserved_fen = int(wallet.reserved_fen) + amount
    reservation = repo.add(session, VoucherReservationRow(job_id=job_id, wallet_id=wallet.id, amount_fen=amount,
                                                          hold_transfer_id=hold.id, status="open"))
    _audit(session, "voucher.reserved", f"job:{job_id}", {"wallet": wallet.id, "amount_fen": amount}, organisation_id)
    return reservation


def release_for_job(session: Session, *, job_id: int) -> int:
    """At job end: release what the hold still keeps back into the wallet; returns the fen released."""
    reservation = repo.reservation_of_job(session, job_id, for_update=True)
    if reservation is None or reservation.status != "open":
        return 0
    wallet = repo.get_wallet(session, reservation.wallet_id, for_update=True)
    assert wallet is not None
    released = int(reservation.amount_fen)
    ledger.void(session, idempotency_key=f"voucher:release:job:{job_id}", pending_id=_id(reservation.hold_transfer_id))
    wallet.reserved_fen = int(wallet.reserved_fen) - released
    reservation.amount_fen, reservation.status = 0, "closed"
    _audit(session, "voucher.released", f"job:{job_id}", {"amount_fen": released}, wallet.organisation_id)
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
    found = _best_wallet(session, organisation_id, Order(ItemKind.COMPUTE, estimate_fen, center, f"job:{job_id}"), today)
    if found is None:
        return 0
    wallet = repo.get_wallet(session, found[0].id, for_update=True)
    assert wallet is not None
    amount = min(found[2], _wallet_state(wallet).available_fen)
    if amount <= 0:
        return 0
    hold = ledger.reserve(session, idempotency_key=idempotency_key, debit_account_id=_id(wallet.ledger_account_id),
                          credit_account_id=payable_account_id, amount_fen=amount, source_kind="job",
                          source_id=str(job_id), memo=f"voucher share held for job {job_id}")
    wallet.reserved_fen = int(wallet.reserved_fen) + amount
    if reservation is None:
        reservation = repo.add(session, VoucherReservationRow(job_id=job_id, wallet_id=wallet.id, amount_fen=amount,
                                                              hold_transfer_id=hold.id, status="open"))
    else:  # one reservation row per job: a new placement reuses it
        reservation.wallet_id, reservation.amount_fen, reservation.hold_transfer_id = wallet.id, amount, hold.id
        reservation.status = "open"
    _audit(session, "voucher.reserved", f"job:{job_id}",
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
    _audit(session, "voucher.released", f"job:{job_id}", {"amount_fen": released, "transfer": hold_id, "reason": reason},
           wallet.organisation_id)
    session.flush()
    return released


def expire_wallets(session: Session, *, today: date | None = None) -> list[tuple[int, int]]:
    """Close wallets past their validity; each remainder goes back to its program budget."""
    today = today or utcnow().date()
    done = []
    for stale in repo.expired_wallets(session, today):
        row = _get_program(session, stale.program_id, for_update=True)
        wallet = repo.get_wallet(session, stale.id, for_update=True)
        assert wallet is not None
        closed, remainder = _wallet_state(wallet).expire()
        if remainder:
            ledger.transfer(session, idempotency_key=f"voucher:expire:{wallet.id}:{int(wallet.returned_fen)}",
                            legs=[Leg(_id(wallet.ledger_account_id), remainder), Leg(_id(row.budget_account_id), -remainder)],
                            memo="expired voucher remainder", source_kind="voucher_wallet", source_id=str(wallet.id))
        wallet.returned_fen, wallet.status = closed.returned_fen, "expired"
        row.returned_fen = int(row.returned_fen) + remainder
        _audit(session, "voucher.expired", f"voucher_wallet:{wallet.id}", {"returned_fen": remainder},
               wallet.organisation_id)
        done.append((wallet.id, remainder))
    session.flush()
    return done
