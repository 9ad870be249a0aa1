"""Co-funding (多级财政共同出资): a program paid by several funders, e.g. the city and a district, each
from its own budget, under the program's combined ceiling (`budget_fen`).

Every grant is split by the funders' `share_percent`: each part rounds down and the fen left over go
to the first funder listed (the lead funder), so the parts always add up to the grant. A grant is
refused (or, in an apply-and-enjoy program, reduced) when any funder's part does not fit in what is
left of that funder's budget (rule `budget.funder`).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from suanli.domain.vouchers.program import Funder, VoucherProgram


def funder_split(program: VoucherProgram, amount_fen: int) -> dict[str, int]:
    """Each funder's part of a grant (empty when the program has one funder, itself)."""
    if not program.funders:
        return {}
    parts = {f.id: int(amount_fen * Fraction(f.share_percent) / 100) for f in program.funders}
    parts[program.funders[0].id] += amount_fen - sum(parts.values())
    return parts


def funder_left(funder: Funder, granted: Mapping[str, int]) -> int:
    return max(funder.budget_fen - int(granted.get(funder.id, 0)), 0)


def max_fundable(program: VoucherProgram, funder: Funder, amount_fen: int, granted: Mapping[str, int]) -> int:
    """The largest grant up to `amount_fen` whose part for `funder` fits in that funder's budget left."""
    left = funder_left(funder, granted)
    share = Fraction(funder.share_percent) / 100
    candidate = amount_fen if share == 0 else min(amount_fen, int((left + 1) / share))
    while candidate > 0 and funder_split(program, candidate)[funder.id] > left:
        candidate -= 1  # at most a few steps: the proportional bound is within a fen per funder
    return candidate
