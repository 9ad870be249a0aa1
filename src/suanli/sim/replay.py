"""Run one replay per broker over the same federation and trace, and summarise the outcome.

The summary is the JSON of CONTRACT.md (jobs, waits, job completion time, utilisation per
center and overall, cost and subsidy in integer fen, unplaced jobs, speed) plus the curves the
HTML report draws. Several brokers in one run share the trace, so their figures compare.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from suanli.sim import SimInputError
from suanli.sim.brokers import BROKERS
from suanli.sim.engine import REASONS, Replay
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
    r.trace_start = _trace_start(trace.meta)
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


def _trace_start(meta: dict[str, object]) -> str | None:
    """The first submission as local time, from an SWF header's UnixStartTime and TimeZoneString."""
    epoch = meta.get("unix_start_time")
    if not isinstance(epoch, int):
        return None
    moment = datetime.fromtimestamp(epoch + float(meta.get("first_submit_s", 0.0) or 0.0), tz=UTC)
    zone = meta.get("TimeZoneString")
    if isinstance(zone, str):
        try:
            moment = moment.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return moment.isoformat()


def summarise(r: Replay, broker: str, wall: float) -> dict[str, Any]:
    placed = np.array(r.start) >= 0
    submit, start = np.array(r.submit)[placed], np.array(r.start)[placed]
    wait = start - submit
    jct = wait + np.array(r.duration)[placed]
    horizon = max(max(r.last_change), 1e-9)
    gpu_use = {center.name: round(r.busy_area[c] / (max(r.cap_g[c], 1) * horizon), 4)
               for c, center in enumerate(r.centers)}
    cpu_use = {center.name: round(r.busy_area_c[c] / (max(r.cap_c[c], 1) * horizon), 4)
               for c, center in enumerate(r.centers)}
    gpu_all = sum(r.busy_area) / (max(sum(r.cap_g), 1) * horizon)
    cpu_all = sum(r.busy_area_c) / (max(sum(r.cap_c), 1) * horizon)
    use, overall = (gpu_use, gpu_all) if r.kind == "gpu" else (cpu_use, cpu_all)
    centers = np.array(r.center)
    day = r.budget_out_at / 86400.0 if r.budget_out_at is not None else None
    reasons: dict[str, int] = {}
    for j in np.flatnonzero(~placed).tolist():
        reason = r.refusal(j)
        reasons[reason] = reasons.get(reason, 0) + 1
    return {
        "broker": broker,
        "jobs": int(placed.sum()),
        "unplaced": int((~placed).sum()),
        "unplaced_reasons": {k: {"jobs": v, "why": REASONS[k]} for k, v in sorted(reasons.items())},
        "mean_wait_s": round(float(wait.mean()), 2) if len(wait) else 0.0,
        "p95_wait_s": round(float(np.percentile(wait, 95)), 2) if len(wait) else 0.0,
        "mean_jct_s": round(float(jct.mean()), 2) if len(jct) else 0.0,
        "utilisation": {"overall": round(overall, 4), "per_center": use, "of": r.kind},
        "gpu_utilisation": {"overall": round(gpu_all, 4), "per_center": gpu_use},
        "cpu_utilisation": {"overall": round(cpu_all, 4), "per_center": cpu_use},
        "jobs_per_center": {c.name: int((centers == i).sum()) for i, c in enumerate(r.centers)},
        "trace_start": r.trace_start,
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
            "utilisation": {c.name: _sample(r.busy_curve[i], horizon,
                                            1.0 / max(r.cap_g[i] if r.kind == "gpu" else r.cap_c[i], 1))
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
    from suanli.sim.scaler import offered_load

    out: dict[str, Any] = {"federation": federation.name, "trace": trace.source, "brokers": brokers,
                           "offered_load": round(offered_load(trace, federation), 4),
                           "trace_meta": {k: v for k, v in trace.meta.items()}, "results": results}
    out.update({k: v for k, v in results[0].items() if k != "curves"})
    if len(results) > 1:
        out["wall_seconds"] = round(sum(x["wall_seconds"] for x in results), 4)
        out["events_per_second"] = round(sum(x["events"] for x in results) / max(out["wall_seconds"], 1e-9))
    return out
