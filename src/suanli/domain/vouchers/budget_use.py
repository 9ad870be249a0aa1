"""How much of a program's budget is used, and which warning thresholds that use has reached
(预算使用提醒). The use is what was granted net of what came back to the budget (expired remainders
and claw-backs), so a program whose grants partly returned is not announced as spent. Integer fen
throughout; a threshold is reached at exactly its share (80% of ¥1,000,000 is ¥800,000)."""

from __future__ import annotations

THRESHOLDS_PERCENT = (80, 100)


def used_fen(*, granted_fen: int, returned_fen: int = 0, clawed_back_fen: int = 0) -> int:
    return max(0, granted_fen - returned_fen - clawed_back_fen)


def thresholds_reached(*, used: int, budget_fen: int, thresholds: tuple[int, ...] = THRESHOLDS_PERCENT) -> list[int]:
    """The thresholds (percent of the budget) the use has reached, lowest first; none for a
    program without a budget."""
    if budget_fen <= 0:
        return []
    return [t for t in sorted(thresholds) if used * 100 >= budget_fen * t]


def percent_used(*, used: int, budget_fen: int) -> int:
    """Whole percent, rounded down (79.99% reads 79%, so a notice never claims a threshold early)."""
    return used * 100 // budget_fen if budget_fen > 0 else 0
