"""The billing seam (services/billing.py looks `voucher_share` up by name): at metering the voucher
engine decides its share of a usage's list price and records the redemption; billing moves the money
(wallet -> provider payable, drawing the program's reserve fund 备用金 at the provider).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.vouchers import VoucherRedemptionRow
from suanli.db.repositories import vouchers as repo
from suanli.domain.vouchers import ItemKind, Order, claim_key, redemption_amount
from suanli.services.vouchers.common import _audit, facts_of
from suanli.services.vouchers.programs import _get_program, program_of
from suanli.services.vouchers.wallets import _best_wallet, _prior, _wallet_state


def voucher_share(session: Session, *, usage: Any, charge_fen: int, today: date | None = None) -> Any:
    """Billing's question at metering: how much of this usage's list price does a voucher pay? Records
    the redemption (unique per usage record) and the wallet's counters; billing posts the money itself
    (wallet -> provider payable, drawing the program's reserve fund at the provider)."""
    from suanli.services.billing import VoucherShare

    today = today or utcnow().date()
    found = repo.usage_with_center(session, usage.id)
    if found is None or charge_fen <= 0:
        return None
    order = Order(ItemKind.COMPUTE, charge_fen, found[1], f"usage:{usage.id}")
    if repo.redemption_by_claim(session, claim_key(order)) is not None:
        return None  # already subsidised: never twice
    best = _best_wallet(session, usage.organisation_id, order, today)
    if best is None:
        return None
    wallet = repo.get_wallet(session, best[0].id, for_update=True)
    assert wallet is not None
    row = _get_program(session, wallet.program_id)
    org = repo.get_organisation(session, wallet.organisation_id)
    assert org is not None
    decision = redemption_amount(program_of(row), order, buyer=facts_of(org), wallet=_wallet_state(wallet), today=today,
                                 prior=_prior(session, order.basis), project_class=wallet.project_class)
    if not decision.allowed or decision.amount_fen <= 0:
        return None
    wallet.redeemed_fen = int(wallet.redeemed_fen) + decision.amount_fen
    receipt = _audit(session, "voucher.redeemed", order.basis,
                     {"program": row.code, "amount_fen": decision.amount_fen, "order_fen": charge_fen,
                      "provider": order.provider, "side": order.side.value}, wallet.organisation_id)
    repo.add(session, VoucherRedemptionRow(
        program_id=row.id, wallet_id=wallet.id, organisation_id=wallet.organisation_id, usage_record_id=usage.id,
        claim_key=claim_key(order), basis=order.basis, side=order.side.value, kind=order.kind.value,
        provider=order.provider, order_amount_fen=charge_fen, amount_fen=decision.amount_fen, status="redeemed",
        rules=decision.explain(), receipt=receipt))
    reasons = tuple(r.en for r in decision.rules if r.outcome.value in ("limited", "passed"))
    return VoucherShare(decision.amount_fen, row.id, wallet.ledger_account_id, row.code, reasons)
