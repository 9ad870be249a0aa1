"""The voucher side of the broker's `SubsidyPolicy`: the price after voucher for a payer.

Built from a snapshot of the payer's holdings (program, wallet, caps and budget left) that the
service layer loads; pure, so the broker can ask it thousands of times while ranking options.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from suanli.domain.money import Fen, format_yuan
from suanli.domain.organisations import OrganisationFacts
from suanli.domain.subsidy import SubsidyEstimate
from suanli.domain.vouchers.amounts import Order, redemption_amount
from suanli.domain.vouchers.program import ItemKind, VoucherProgram
from suanli.domain.vouchers.wallet import Wallet


@dataclass(frozen=True, slots=True)
class Holding:
    """One grant an organisation holds, with what its program still allows."""

    program: VoucherProgram
    buyer: OrganisationFacts
    wallet: Wallet
    project_class: str | None = None
    budget_left_fen: int | None = None  # None: the grant is already funded (the usual case)


class VoucherSubsidy:
    """`SubsidyPolicy` over holdings; picks, per estimate, the holding that pays the most."""

    def __init__(self, holdings: Mapping[int, Sequence[Holding]], today: date) -> None:
        self._holdings = holdings
        self._today = today

    def estimate(self, *, organisation_id: int, center: str, pool: str, list_price_fen: Fen) -> SubsidyEstimate:
        best = SubsidyEstimate(0, None, ("no voucher program applies",))
        for holding in self._holdings.get(organisation_id, ()):
            estimate = estimate_for(holding, center=center, list_price_fen=list_price_fen, today=self._today)
            if estimate.subsidy_fen > best.subsidy_fen:
                best = estimate
        return best


def estimate_for(holding: Holding, *, center: str, list_price_fen: Fen, today: date) -> SubsidyEstimate:
    order = Order(ItemKind.COMPUTE, list_price_fen, center, basis="estimate")
    decision = redemption_amount(holding.program, order, buyer=holding.buyer, wallet=holding.wallet, today=today,
                                 project_class=holding.project_class)
    if not decision.allowed:
        failed = decision.failed
        return SubsidyEstimate(0, holding.program.id, (failed.en if failed else "not eligible",))
    amount = decision.amount_fen
    reasons = [r.en for r in decision.rules if r.outcome.value == "limited"]
    if holding.budget_left_fen is not None and amount > holding.budget_left_fen:
        amount = max(holding.budget_left_fen, 0)
        reasons.append(f"capped by the program's remaining budget {format_yuan(amount)}")
    return SubsidyEstimate(amount, holding.program.id, tuple(reasons))
