"""Budget thresholds: reached at exactly their share, in integer fen, net of returns; none without a budget."""

from __future__ import annotations

from suanli.domain.vouchers.budget_use import percent_used, thresholds_reached, used_fen

BUDGET = 100_000_000  # ¥1,000,000


def test_a_threshold_is_reached_at_exactly_its_share() -> None:
    assert thresholds_reached(used=79_999_999, budget_fen=BUDGET) == []
    assert thresholds_reached(used=80_000_000, budget_fen=BUDGET) == [80]
    assert thresholds_reached(used=99_999_999, budget_fen=BUDGET) == [80]
    assert thresholds_reached(used=BUDGET, budget_fen=BUDGET) == [80, 100]


def test_returns_and_claw_backs_give_budget_back() -> None:
    used = used_fen(granted_fen=90_000_000, returned_fen=5_000_000, clawed_back_fen=6_000_000)
    assert used == 79_000_000 and thresholds_reached(used=used, budget_fen=BUDGET) == []
    assert used_fen(granted_fen=1, returned_fen=5) == 0


def test_no_budget_no_thresholds_and_percent_rounds_down() -> None:
    assert thresholds_reached(used=10, budget_fen=0) == []
    assert percent_used(used=79_999_999, budget_fen=BUDGET) == 79 and percent_used(used=5, budget_fen=0) == 0
    assert thresholds_reached(used=3, budget_fen=4, thresholds=(100, 50)) == [50]
