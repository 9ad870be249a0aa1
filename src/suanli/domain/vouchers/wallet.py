"""A voucher wallet: the granted amount (核定) and what became of it — reserved at admission,
redeemed (兑付) at completion, returned to the budget at expiry or clawed back (追回).

Pure arithmetic with its invariant (nothing is ever spent twice): granted = available + reserved +
redeemed + returned, every term non-negative.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from suanli.domain.errors import InvalidInput
from suanli.domain.vouchers.program import VoucherProgram


@dataclass(frozen=True, slots=True)
class Wallet:
    granted_fen: int
    expires_on: date
    reserved_fen: int = 0
    redeemed_fen: int = 0
    returned_fen: int = 0  # remainder returned to the program budget at expiry

    def __post_init__(self) -> None:
        if min(self.granted_fen, self.reserved_fen, self.redeemed_fen, self.returned_fen, self.available_fen) < 0:
            raise InvalidInput(f"wallet would go negative: {self}")

    @property
    def available_fen(self) -> int:
        return self.granted_fen - self.reserved_fen - self.redeemed_fen - self.returned_fen

    def expired(self, today: date) -> bool:
        return today > self.expires_on

    def reserve(self, amount_fen: int) -> Wallet:
        return replace(self, reserved_fen=self.reserved_fen + _positive(amount_fen))

    def release(self, amount_fen: int) -> Wallet:
        return replace(self, reserved_fen=self.reserved_fen - _positive(amount_fen))

    def post(self, amount_fen: int, *, from_reserved_fen: int = 0) -> Wallet:
        """Redeem `amount_fen`, taking `from_reserved_fen` of it out of an earlier reservation."""
        return replace(self, reserved_fen=self.reserved_fen - from_reserved_fen, redeemed_fen=self.redeemed_fen + amount_fen)

    def expire(self) -> tuple[Wallet, int]:
        """Close the wallet: the available remainder goes back to the budget (reservations stay
        until their jobs end, and are returned when released)."""
        remainder = self.available_fen
        return replace(self, returned_fen=self.returned_fen + remainder), remainder


def _positive(amount: int) -> int:
    if amount < 0:
        raise InvalidInput("amount must not be negative")
    return amount


def grant_expiry(program: VoucherProgram, granted_on: date) -> date:
    """The last day a grant may be redeemed: `valid_days` after granting or the fixed date,
    whichever comes first."""
    candidates = []
    if program.validity.valid_days is not None:
        candidates.append(granted_on + timedelta(days=program.validity.valid_days - 1))
    if program.validity.expires_on is not None:
        candidates.append(program.validity.expires_on)
    return min(candidates)
