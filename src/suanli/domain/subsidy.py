"""The question the broker asks the voucher engine: how much of this price would a voucher pay?

The broker ranks options by the price *after subsidy for this payer*; the voucher capability answers
through this small interface (implemented in the vouchers package), and `NoSubsidy` stands in where
no program applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from suanli.domain.money import Fen


@dataclass(frozen=True, slots=True)
class SubsidyEstimate:
    subsidy_fen: Fen
    program: str | None = None
    # Why this amount: rules that fired, e.g. ("ratio 30%", "capped by remaining grant ¥1,000.00").
    reasons: tuple[str, ...] = ()


class SubsidyPolicy(Protocol):
    def estimate(self, *, organisation_id: int, center: str, pool: str, list_price_fen: Fen) -> SubsidyEstimate:
        """The voucher share of `list_price_fen` for this payer at this center, never above what the
        payer's wallet, caps and the program's remaining budget allow."""
        ...


class NoSubsidy:
    def estimate(self, *, organisation_id: int, center: str, pool: str, list_price_fen: Fen) -> SubsidyEstimate:
        return SubsidyEstimate(0, None, ("no voucher program applies",))
