"""Scoring (评分): what each feasible option costs the payer, when it would start and finish, how
green it is, how far its data must travel and how loaded its center would be, folded into one score
by a preset's weights.

Every component is normalised per request against its best feasible option: how much worse than the
best, relative to the best (price, time, energy: 10% dearer -> 0.1) or in absolute units (locality in
hours of transfer, balance in load), capped at 1, so near-ties stay near-ties and magnitudes survive;
then weighted; the option's score is
100 x (1 - weighted cost). Presets are weight vectors; an operator may override them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from suanli.domain.placement.feasibility import PoolTable
from suanli.domain.subsidy import NoSubsidy, SubsidyPolicy

COMPONENTS = ("price", "time", "energy", "locality", "balance")
WAN_GBIT_PER_S = 1.0  # effective inter-city throughput assumed for moving input data


@dataclass(frozen=True, slots=True)
class Weights:
    price: float
    time: float
    energy: float
    locality: float
    balance: float

    def vector(self) -> NDArray[np.float64]:
        v = np.array([self.price, self.time, self.energy, self.locality, self.balance], dtype=np.float64)
        if (v < 0).any() or v.sum() <= 0:
            raise ValueError("weights must be non-negative and not all zero")
        normalised: NDArray[np.float64] = v / v.sum()
        return normalised


PRESETS: dict[str, Weights] = {
    "cheapest": Weights(price=0.70, time=0.10, energy=0.05, locality=0.05, balance=0.10),
    "fastest": Weights(price=0.10, time=0.65, energy=0.05, locality=0.15, balance=0.05),
    "greenest": Weights(price=0.15, time=0.10, energy=0.65, locality=0.05, balance=0.05),
    "balanced": Weights(price=0.35, time=0.30, energy=0.10, locality=0.10, balance=0.15),
}


def preset_weights(overrides: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, Weights]:
    """The presets with the operator's overrides (from configuration) applied component by component."""
    merged = dict(PRESETS)
    for name, parts in (overrides or {}).items():
        base = merged.get(name, PRESETS["balanced"])
        values = {c: float(parts.get(c, getattr(base, c))) for c in COMPONENTS}
        merged[name] = Weights(**values)
        merged[name].vector()  # validates
    return merged


@dataclass(slots=True)
class Metrics:
    """Raw per-option figures, jobs x pools (cells of infeasible pairs are meaningless)."""

    list_fen: NDArray[np.int64]
    subsidy_fen: NDArray[np.int64]
    pay_fen: NDArray[np.int64]
    start_h: NDArray[np.float64]
    finish_h: NDArray[np.float64]
    transfer_h: NDArray[np.float64]
    energy_kwh: NDArray[np.float64]
    brown_kwh: NDArray[np.float64]
    load: NDArray[np.float64]


def list_price(price: NDArray[np.int64], devices: NDArray[np.int64], hours: NDArray[np.float64]) -> NDArray[np.int64]:
    """Whole-job list price in fen, rounded up like a metered charge (money.charge_for_usage)."""
    device_seconds = np.rint(devices * hours * 3600).astype(np.int64)
    fen: NDArray[np.int64] = -((-price * device_seconds) // 3600)
    return fen


def expected_start(pt: PoolTable, devices: NDArray[np.int64], transfer_h: NDArray[np.float64]) -> NDArray[np.float64]:
    """A queue model from current load: work already queued drains over the whole pool; a job that
    does not fit in the free devices waits for running work to release the shortfall, which running
    jobs do at a steady pace over their mean remaining time. Input data moves meanwhile."""
    queue_h = pt.queued_dh / np.maximum(pt.total, 1)
    shortfall = np.maximum(devices - pt.free, 0)
    busy = np.maximum(pt.total - pt.free, 1)
    release_h = np.where(shortfall > 0, pt.remaining_h * np.minimum(1.0, shortfall / busy), 0.0)
    start_h: NDArray[np.float64] = np.maximum(queue_h + release_h, transfer_h)
    return start_h


def subsidy_matrix(policy: SubsidyPolicy, payers: NDArray[np.int64], pt: PoolTable, list_fen: NDArray[np.int64],
                   feasible: NDArray[np.bool_]) -> NDArray[np.int64]:
    """The voucher share of each feasible option for its payer. A policy may offer a vectorised
    `estimate_many(organisation_id=, centers=, pools=, list_price_fen=)`; otherwise each distinct
    (payer, pool, price) is asked once."""
    out = np.zeros_like(list_fen)
    if isinstance(policy, NoSubsidy) or not feasible.any():
        return out
    many = getattr(policy, "estimate_many", None)
    memo: dict[tuple[int, int, int], int] = {}
    for j in np.flatnonzero(feasible.any(axis=1)):
        cols = np.flatnonzero(feasible[j])
        org = int(payers[j])
        if many is not None:
            out[j, cols] = many(organisation_id=org, centers=[pt.views[c].center for c in cols],
                                pools=[pt.views[c].pool for c in cols], list_price_fen=list_fen[j, cols])
            continue
        for c in cols:
            key = (org, int(c), int(list_fen[j, c]))
            if key not in memo:
                view = pt.views[c]
                memo[key] = policy.estimate(organisation_id=org, center=view.center, pool=view.pool,
                                            list_price_fen=key[2]).subsidy_fen
            out[j, c] = memo[key]
    clipped: NDArray[np.int64] = np.minimum(np.maximum(out, 0), list_fen)
    return clipped


def metrics(pt: PoolTable, devices: NDArray[np.int64], hours: NDArray[np.float64], transfer_h: NDArray[np.float64],
            subsidy: Callable[[NDArray[np.int64]], NDArray[np.int64]]) -> Metrics:
    lst = list_price(pt.price, devices, hours)
    sub = subsidy(lst)
    start = expected_start(pt, devices, transfer_h)
    energy = devices * pt.watts * hours / 1000.0
    load = (pt.center_busy + devices) / np.maximum(pt.center_total, 1)
    return Metrics(lst, sub, lst - sub, start, start + hours, transfer_h, energy, energy * (1 - pt.green), load)


# Scale each component is normalised by: max(rel x best value, absolute floor).
_SCALES = {"price": (1.0, 100.0), "time": (1.0, 0.5), "energy": (1.0, 1.0), "locality": (0.0, 1.0), "balance": (0.0, 1.0)}


def component_costs(m: Metrics, feasible: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Normalised components, shape (5, jobs, pools), 0 = best feasible option for that job."""
    raw = {"price": m.pay_fen.astype(np.float64), "time": m.finish_h, "energy": m.brown_kwh,
           "locality": m.transfer_h, "balance": m.load}
    out = np.empty((len(COMPONENTS),) + feasible.shape)
    for k, name in enumerate(COMPONENTS):
        x = raw[name]
        lo = np.where(feasible, x, np.inf).min(axis=1, keepdims=True)
        lo = np.where(np.isfinite(lo), lo, 0.0)
        rel, absolute = _SCALES[name]
        out[k] = np.clip((x - lo) / np.maximum(rel * np.abs(lo), absolute), 0.0, 1.0)
    return out


def weighted(components: NDArray[np.float64], weight_rows: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per-component weighted costs: `weight_rows` is (jobs, 5); result (5, jobs, pools)."""
    parts: NDArray[np.float64] = components * weight_rows.T[:, :, None]
    return parts
