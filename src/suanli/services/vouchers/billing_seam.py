"""The billing seam (services/billing.py looks `voucher_share` up by name): at metering the voucher
engine decides its share of a usage's list price and records the redemption; billing moves the money
(wallet -> provider payable, drawing the program's reserve fund 备用金 at the provider).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.vouchers import VoucherRedemptionRow, VoucherReservationRow, VoucherWalletRow
from suanli.db.repositories import vouchers as repo
from suanli.domain.vouchers import Decision, ItemKind, Order, claim_key, redemption_amount
from suanli.services.vouchers.common import _audit, facts_of
from suanli.services.vouchers.programs import _get_program, program_of
from suanli.services.vouchers.wallets import _best_wallet, _prior, _wallet_state


def voucher_share(session: Session, *, usage: Any, charge_fen: int, today: date | None = None) -> Any:
    """Billing's question at metering: how much of this usage's list price does a voucher pay? Records
    the redemption (unique per usage record) and the wallet's counters; billing posts the money itself
    (wallet -> provider payable, drawing the program's reserve fund at the provider). When the job's
    voucher share was held at admission, the answer names that hold and how much to post out of it."""
    from suanli.services.billing import VoucherShare

    today = today or utcnow().date()
    found = repo.usage_with_center(session, usage.id)
    if found is None or charge_fen <= 0:
        return None
    order = Order(ItemKind.COMPUTE, charge_fen, found[1], f"usage:{usage.id}")
    if repo.redemption_by_claim(session, claim_key(order)) is not None:
        return None  # already subsidised: never twice
    reservation = repo.reservation_of_job(session, usage.job_id, for_update=True)
    held = _held(session, reservation, usage.organisation_id, order, today)
    if held is not None:
        wallet, decision = held
    else:
        reservation, best = None, _best_wallet(session, usage.organisation_id, order, today)
        if best is None:
            return None
        locked = repo.get_wallet(session, best[0].id, for_update=True)
        assert locked is not None
        wallet, decision = locked, _decide(session, locked, order, today, held_fen=0)
    if not decision.allowed or decision.amount_fen <= 0:
        return None
    amount = decision.amount_fen
    from_hold = min(amount, int(reservation.amount_fen)) if reservation is not None else 0
    if reservation is not None:
        reservation.amount_fen = int(reservation.amount_fen) - from_hold
    wallet.reserved_fen = int(wallet.reserved_fen) - from_hold
    wallet.redeemed_fen = int(wallet.redeemed_fen) + amount
    row = _get_program(session, wallet.program_id)
    receipt = _audit(session, "voucher.redeemed", order.basis,
                     {"program": row.code, "amount_fen": amount, "order_fen": charge_fen, "from_hold_fen": from_hold,
                      "provider": order.provider, "side": order.side.value}, wallet.organisation_id)
    repo.add(session, VoucherRedemptionRow(
        program_id=row.id, wallet_id=wallet.id, organisation_id=wallet.organisation_id, usage_record_id=usage.id,
        claim_key=claim_key(order), basis=order.basis, side=order.side.value, kind=order.kind.value,
        provider=order.provider, order_amount_fen=charge_fen, amount_fen=amount, status="redeemed",
        rules=decision.explain(), receipt=receipt))
    reasons = tuple(r.en for r in decision.rules if r.outcome.value in ("limited", "passed"))
    hold_id = reservation.hold_transfer_id if reservation is not None and from_hold else None
    return VoucherShare(amount, row.id, wallet.ledger_account_id, row.code, reasons, hold_id=hold_id,
                        from_hold_fen=from_hold)


def _held(session: Session, reservation: VoucherReservationRow | None, organisation_id: int, order: Order,
          today: date) -> tuple[VoucherWalletRow, Decision] | None:
    """The wallet that holds this job's voucher share and its decision, when that wallet still pays."""
    if reservation is None or reservation.status != "open" or reservation.hold_transfer_id is None:
        return None
    wallet = repo.get_wallet(session, reservation.wallet_id, for_update=True)
    if wallet is None or wallet.organisation_id != organisation_id:
        return None
    decision = _decide(session, wallet, order, today, held_fen=int(reservation.amount_fen))
    return (wallet, decision) if decision.allowed and decision.amount_fen > 0 else None


def _decide(session: Session, wallet: VoucherWalletRow, order: Order, today: date, *, held_fen: int) -> Decision:
    row = _get_program(session, wallet.program_id)
    org = repo.get_organisation(session, wallet.organisation_id)
    assert org is not None
    return redemption_amount(program_of(row), order, buyer=facts_of(org), wallet=_wallet_state(wallet), today=today,
                             prior=_prior(session, order.basis), project_class=wallet.project_class,
                             reserved_for_order_fen=held_fen)
