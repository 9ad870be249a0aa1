"""The replay engine on hand-made federations: local policies, brokers, vouchers, integer money."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from suanli.sim.brokers import BROKERS
from suanli.sim.engine import Replay
from suanli.sim.federation import SimCenter, SimFederation, VoucherProgram
from suanli.sim.replay import run_replay
from suanli.sim.traces import Trace


def _center(name: str, devices: int, price: int, policy: str = "fifo", eligible: bool = True) -> SimCenter:
    return SimCenter(name, name, policy, devices * 1000, 10**9, devices, price, 0, 0.5, eligible)


def _trace(jobs: list[tuple[float, float, float]], estimates: list[float] | None = None) -> Trace:
    """jobs of (submit_s, duration_s, devices)."""
    a = np.array(jobs, np.float64)
    est = np.array(estimates, np.float64) if estimates else a[:, 1]
    return Trace(a[:, 0], a[:, 1], (a[:, 2] * 1000).astype(np.int64), np.zeros(len(a), np.int64),
                 np.arange(len(a)), est, "test")


def _fed(*centers: SimCenter, budget: int = 0, ratio: str = "0", value: int = 0) -> SimFederation:
    return SimFederation("t", list(centers), VoucherProgram(budget, Fraction(ratio)), [0], value)


def _replay(fed: SimFederation, trace: Trace, broker: str = "home-center") -> Replay:
    r = Replay(fed, trace)
    r.run(BROKERS[broker]())
    return r


JOBS = [(0, 100, 3), (1, 100, 4), (2, 50, 1)]  # the 4-device job blocks; the small one fits beside it


def test_fifo_keeps_the_small_job_behind_the_blocked_head() -> None:
    r = _replay(_fed(_center("a", 4, 100)), _trace(JOBS))
    assert r.start == [0, 100, 200]


def test_easy_backfill_starts_the_small_job_when_it_cannot_delay_the_head() -> None:
    r = _replay(_fed(_center("a", 4, 100, "easy-backfill")), _trace(JOBS))
    assert r.start == [0, 100, 2]


def test_backfill_respects_the_reservation_of_the_head() -> None:
    jobs = [(0, 100, 3), (1, 100, 4), (2, 500, 1)]  # too long to finish before the head may start
    r = _replay(_fed(_center("a", 4, 100, "easy-backfill")), _trace(jobs))
    assert r.start[2] >= r.start[1]


def test_cost_rounds_up_and_voucher_rounds_down_in_integer_fen() -> None:
    r = _replay(_fed(_center("a", 4, 100), budget=10_000, ratio="1/3"), _trace([(0, 1801, 1)]))
    assert r.cost == [51] and r.subsidy == [17]  # 100 fen/h x 1801 s = 50.03 -> 51; 51/3 = 17
    assert all(isinstance(x, int) for x in r.cost + r.subsidy)


def test_the_voucher_budget_runs_out_and_the_day_is_reported() -> None:
    fed = _fed(_center("a", 8, 3600), budget=5000, ratio="1/2")
    out = run_replay(fed, _trace([(0, 3600, 1)] * 4), ["home-center"])
    assert out["subsidy_fen"] == 5000 and out["budget_exhausted_day"] is not None
    assert out["cost_fen"] == 4 * 3600


def test_cheapest_and_home_center_route_as_users_would() -> None:
    fed = _fed(_center("dear", 8, 900), _center("cheap", 2, 100))
    assert set(_replay(fed, _trace([(0, 10, 1)] * 3), "cheapest").center) == {1}
    big = _replay(_fed(_center("small", 1, 1)), _trace([(0, 10, 2)]), "home-center")
    assert big.center == [-1]  # the home center can never hold it: unplaced


def test_suanli_trades_a_little_price_for_much_less_waiting() -> None:
    fed = _fed(_center("dear", 8, 900), _center("cheap", 2, 100), value=5000)
    trace = _trace([(i, 3600, 1) for i in range(8)])
    fast, slow = (run_replay(fed, trace, [b]) for b in ("suanli", "cheapest"))
    assert fast["mean_wait_s"] < slow["mean_wait_s"]
    assert fast["jobs"] == slow["jobs"] == 8 and fast["unplaced"] == 0


def test_subsidy_makes_an_eligible_center_win_a_tie_in_list_price() -> None:
    fed = _fed(_center("plain", 8, 500, eligible=False), _center("voucher", 8, 600), budget=10**6, ratio="0.3")
    r = _replay(fed, _trace([(0, 100, 1)]), "suanli")
    assert r.center == [1]  # 600 x 0.7 = 420 < 500
