"""The broker's question (算力匹配 x 算力券): how much would a voucher pay of this price, for this payer,
at this center? `subsidy_policy` loads each payer's active wallets once (program rules, ratio, what
the wallet still holds, its project class and cap) into the domain's pure `VoucherSubsidy`, which the
broker then asks thousands of times while ranking options.

A grant is funded when it is made (budget -> wallet), so the program's remaining budget never limits
a redemption out of an existing wallet; the wallet's balance does. `designated_centers` names the
centers where some held program honours its vouchers (all centers when a program designates none),
so the broker can mark pools as designated and honour `designated_only`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.repositories import vouchers as repo
from suanli.domain.money import Fen
from suanli.domain.subsidy import SubsidyEstimate
from suanli.domain.vouchers.subsidy import Holding, VoucherSubsidy
from suanli.services.vouchers.common import facts_of
from suanli.services.vouchers.programs import program_of
from suanli.services.vouchers.wallets import wallet_state


class PayerSubsidy:
    """`SubsidyPolicy` for a set of payers, with the centers their programs designate."""

    def __init__(self, policy: VoucherSubsidy, designated_centers: frozenset[str]) -> None:
        self._policy = policy
        self.designated_centers = designated_centers

    def estimate(self, *, organisation_id: int, center: str, pool: str, list_price_fen: Fen) -> SubsidyEstimate:
        return self._policy.estimate(organisation_id=organisation_id, center=center, pool=pool,
                                     list_price_fen=list_price_fen)


def subsidy_policy(session: Session, *, organisation_ids: Sequence[int], today: date | None = None) -> PayerSubsidy:
    """The voucher engine's answer for these payers (the broker looks this function up by name)."""
    today = today or utcnow().date()
    holdings: dict[int, list[Holding]] = {}
    designated: set[str] = set()
    every_center = False
    for wallet, row, org in repo.active_holdings(session, sorted(set(organisation_ids)), today):
        state = wallet_state(wallet)
        if state.available_fen <= 0:
            continue  # an exhausted wallet pays nothing and designates nothing for this payer
        program = program_of(row)
        holdings.setdefault(org.id, []).append(Holding(program, facts_of(org), state, wallet.project_class))
        if program.orders.designated_providers is None:
            every_center = True
        else:
            designated.update(program.orders.designated_providers)
    if every_center:
        designated.update(repo.center_names(session))
    return PayerSubsidy(VoucherSubsidy(holdings, today), frozenset(designated))
