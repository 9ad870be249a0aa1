"""Broker policies: which center an arriving job goes to.

`suanli` is the project's subsidy-aware broker: it ranks centers by what the job would cost the
user, i.e. the list price minus the voucher (算力券) share while the program has budget, plus
the expected wait priced at the federation's value of waiting, plus a small load-balance term
so equal offers spread out. The baselines are what users do without a platform: the cheapest
list price, round-robin, the least-loaded center, or always their organisation's home center.
A broker returns -1 when no center can ever hold the job (it is counted as unplaced).
"""

from __future__ import annotations

from collections.abc import Callable

from suanli.sim.engine import Replay

Broker = Callable[[Replay, int, float], int]
LOAD_WEIGHT_FEN = 1.0  # fen per device-hour for a fully loaded center: a tie-breaker, not a price


def _feasible(r: Replay, j: int) -> list[int]:
    return [c for c in range(len(r.centers)) if r.fits_ever(j, c)]


def _load(r: Replay, j: int, c: int) -> float:
    """Busy share of center c in the job's resource kind (accelerators, else cores)."""
    if r.gpu[j]:
        return (r.cap_g[c] - r.free_g[c]) * r.inv_g[c]
    return (r.cap_c[c] - r.free_c[c]) * r.inv_c[c]


def expected_wait_s(r: Replay, j: int, c: int) -> float:
    """Zero if the job fits now behind an empty queue, else queued work over capacity."""
    if not r.queue[c] and r.fit_now(j, c) >= 0:
        return 0.0
    return r.backlog[c] + _load(r, j, c) * 0.5 * r.estimate[j]


def suanli(r: Replay, j: int, now: float) -> int:
    # Inlined over plain lists: this runs once per arrival and dominates replay speed. The job's
    # device (or core) count and the hour conversion are common to every center, so they are left
    # out: an accelerator job compares device-hour prices, a CPU job core-hour prices.
    g, est = r.gpu[j], r.estimate[j]
    ratio = float(r.fed.voucher.ratio) if r.budget_left > 0 else 0.0
    if g:
        value, prices, caps, frees, inv = r.fed.value_of_wait_fen_per_device_hour, r.price_g, r.cap_g, r.free_g, r.inv_g
    else:
        value, prices, caps, frees = r.fed.value_of_wait_fen_per_cpu_hour, r.price_c, r.cap_c, r.free_c
        inv = r.inv_c
    best, best_score = -1, float("inf")
    for c in range(len(caps)):
        if not r.mask[c][j]:
            continue
        price = prices[c] * (1.0 - ratio) if r.eligible[c] else prices[c]
        busy = (caps[c] - frees[c]) * inv[c]
        wait = 0.0
        if r.queue[c] or g > r.free_g[c] or r.ccpu[c][j] > r.free_c[c]:
            wait = r.backlog[c] + busy * 0.5 * est
        score = est * (price + LOAD_WEIGHT_FEN * busy) + wait * value
        if score < best_score:
            best, best_score = c, score
    return best


suanli.inline_as = "suanli"  # type: ignore[attr-defined]  # Replay.run inlines this broker


def cheapest(r: Replay, j: int, now: float) -> int:
    options = _feasible(r, j)
    prices = r.price_g if r.gpu[j] else r.price_c
    return min(options, key=lambda c: prices[c]) if options else -1


def least_loaded(r: Replay, j: int, now: float) -> int:
    options = _feasible(r, j)
    return min(options, key=lambda c: _load(r, j, c) + r.backlog[c] / max(r.estimate[j], 1.0)) if options else -1


def home_center(r: Replay, j: int, now: float) -> int:
    c = r.home[j]
    return c if r.fits_ever(j, c) else -1


def round_robin() -> Broker:
    turn = [0]

    def choose(r: Replay, j: int, now: float) -> int:
        n = len(r.centers)
        for step in range(n):
            c = (turn[0] + step) % n
            if r.fits_ever(j, c):
                turn[0] = c + 1
                return c
        return -1

    return choose


BROKERS: dict[str, Callable[[], Broker]] = {
    "suanli": lambda: suanli,
    "cheapest": lambda: cheapest,
    "round-robin": round_robin,
    "least-loaded": lambda: least_loaded,
    "home-center": lambda: home_center,
}
