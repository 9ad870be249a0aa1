"""Money in integer fen (分): 1 yuan = 100 fen. Never a float.

Every rounding in the platform is one of the named functions below, each with its rule, so a reader
can find where a fen is gained or lost.
"""

from __future__ import annotations

from fractions import Fraction

Fen = int
FEN_PER_YUAN = 100
CURRENCY = "CNY"


def yuan(amount: int | str) -> Fen:
    """Whole or decimal yuan (`"12.34"`) as fen; refuses sub-fen precision instead of rounding."""
    value = Fraction(str(amount)) * FEN_PER_YUAN
    if value.denominator != 1:
        raise ValueError(f"{amount} yuan is not a whole number of fen")
    return int(value)


def format_yuan(fen: Fen) -> str:
    """`123456` -> `"¥1,234.56"`; negative amounts keep their sign in front."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}¥{whole:,}.{cents:02d}"


def charge_for_usage(price_fen_per_hour: Fen, device_seconds: int) -> Fen:
    """A usage charge rounds UP to the next fen: the provider never bills less than it delivered
    only through rounding, and a fraction of a fen is never lost to the provider."""
    return -((-price_fen_per_hour * device_seconds) // 3600)


def subsidy_share(amount_fen: Fen, ratio: Fraction) -> Fen:
    """A voucher's share of a charge rounds DOWN: the public budget never pays the extra fen."""
    if not 0 <= ratio <= 1:
        raise ValueError("subsidy ratio must be between 0 and 1")
    return int(amount_fen * ratio.numerator // ratio.denominator)


def percentage_share(amount_fen: Fen, basis_points: int) -> Fen:
    """A platform fee in basis points (1/10,000) rounds half up, the usual commercial rule."""
    return (amount_fen * basis_points + 5_000) // 10_000
