"""Run one replay per broker over the same federation and trace, and summarise the outcome.

The summary is the JSON of CONTRACT.md (jobs, waits, job completion time, utilisation per
center and overall, cost and subsidy in integer fen, unplaced jobs, speed) plus the curves the
HTML report draws. Several brokers in one run share the trace, so their figures compare.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from suanli.sim import SimInputError
from suanli.sim.brokers import BROKERS
from suanli.sim.engine import Replay
from suanli.sim.federation import SimFederation
from suanli.sim.traces import Trace

CURVE_POINTS = 400  # samples per curve in the report


def parse_brokers(text: str) -> list[str]:
    names = [b.strip() for b in text.split(",") if b.strip()]
    unknown = [b for b in names if b not in BROKERS]
    if not names or unknown:
        raise SimInputError(f"unknown broker {', '.join(unknown) or text!r}; choose from {', '.join(BROKERS)}")
    return names


def replay_one(federation: SimFederation, trace: Trace, broker: str,
               progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    r = Replay(federation, trace)
    started = time.perf_counter()
    r.run(BROKERS[broker](), progress)
    wall = time.perf_counter() - started
    return summarise(r, broker, wall)


def _sample(curve: list[tuple[float, int]], horizon: float, scale: float) -> list[list[float]]:
    """Step curve resampled to CURVE_POINTS times (value in effect at each time)."""
    times = np.array([t for t, _ in curve])
    values = np.array([v for _, v in curve], dtype=np.float64)
    grid = np.linspace(0.0, max(horizon, 1.0), CURVE_POINTS)
    at = np.clip(np.searchsorted(times, grid, side="right") - 1, 0, len(values) - 1)
    return [[round(float(t), 1), round(float(v) * scale, 4)] for t, v in zip(grid, values[at])]


def summarise(r: Replay, broker: str, wall: float) -> dict[str, Any]:
    placed = np.array(r.start) >= 0
    submit, start = np.array(r.submit)[placed], np.array(r.start)[placed]
    wait = start - submit
    jct = wait + np.array(r.duration)[placed]
    horizon = max(max(r.last_change), 1e-9)
    per_center = {}
    for c, center in enumerate(r.centers):
        per_center[center.name] = round(r.busy_area[c] / (max(r.cap_g[c], 1) * horizon), 4)
    overall = sum(r.busy_area) / (max(sum(r.cap_g), 1) * horizon)
    centers = np.array(r.center)
    day = r.budget_out_at / 86400.0 if r.budget_out_at is not None else None
    return {
        "broker": broker,
        "jobs": int(placed.sum()),
        "unplaced": int((~placed).sum()),
        "mean_wait_s": round(float(wait.mean()), 2) if len(wait) else 0.0,
        "p95_wait_s": round(float(np.percentile(wait, 95)), 2) if len(wait) else 0.0,
        "mean_jct_s": round(float(jct.mean()), 2) if len(jct) else 0.0,
        "utilisation": {"overall": round(overall, 4), "per_center": per_center},
        "jobs_per_center": {c.name: int((centers == i).sum()) for i, c in enumerate(r.centers)},
        "cost_fen": int(sum(r.cost)),
        "subsidy_fen": int(sum(r.subsidy)),
        "paid_by_users_fen": int(sum(r.cost) - sum(r.subsidy)),
        "voucher_budget_fen": r.fed.voucher.budget_fen,
        "budget_exhausted_day": round(day, 2) if day is not None else None,
        "horizon_s": round(horizon, 1),
        "wall_seconds": round(wall, 4),
        "events": r.events,
        "events_per_second": round(r.events / max(wall, 1e-9)),
        "curves": {
            "wait_s": [round(float(w), 1) for w in np.sort(wait)[:: max(1, len(wait) // 2000)]],
            "subsidy_fen": _sample(r.subsidy_curve, horizon, 1.0),
            "utilisation": {c.name: _sample(r.busy_curve[i], horizon, 1.0 / max(r.cap_g[i], 1))
                            for i, c in enumerate(r.centers)},
        },
    }


def run_replay(federation: SimFederation, trace: Trace, brokers: list[str],
               progress: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """One result per broker; the first broker's figures are also at top level (the contract's keys)."""
    results = []
    for name in brokers:
        hook = (lambda events, name=name: progress(name, events)) if progress else None
        results.append(replay_one(federation, trace, name, hook))
    out: dict[str, Any] = {"federation": federation.name, "trace": trace.source, "brokers": brokers,
                           "results": results}
    out.update({k: v for k, v in results[0].items() if k != "curves"})
    if len(results) > 1:
        out["wall_seconds"] = round(sum(x["wall_seconds"] for x in results), 4)
        out["events_per_second"] = round(sum(x["events"] for x in results) / max(out["wall_seconds"], 1e-9))
    return out
