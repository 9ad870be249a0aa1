"""Scale a trace so that it loads a federation to a chosen level: time compression and job
multiplication, seeded.

Offered load is the work a trace asks for over what the federation offers while the trace
runs: the sum of demand x run time over capacity x the submission span, in the trace's own
resource kind (accelerator milli for GPU traces, CPU milli for CPU logs). Compressing time by
f divides the span by f (load x f); `copies` replays every job that many times (load x copies),
each copy submitted a seeded random fraction of the mean inter-arrival gap after the original,
so copies interleave with their neighbours instead of arriving in bursts of twins.
Run times, demands and organisations are kept; the result is sorted by submit time again.
"""

from __future__ import annotations

import numpy as np

from suanli.sim import SimInputError
from suanli.sim.federation import SimFederation
from suanli.sim.traces import Trace


def offered_load(trace: Trace, federation: SimFederation) -> float:
    """Demand-seconds over capacity x submission span, in the trace's resource kind."""
    if trace.kind == "gpu":
        demand, capacity = trace.gpu_milli, sum(c.gpu_milli for c in federation.centers)
    else:
        demand, capacity = trace.cpu_milli, sum(c.cpu_milli for c in federation.centers)
        if trace.nodes is not None and trace.nodes.any():  # whole-node jobs: nodes x a typical node
            pools = [p for c in federation.centers for p in c.node_pools() if not p.devices_per_node]
            per_node = max((p.cpus_per_node for p in pools), default=1) * 1000
            demand = np.where(trace.nodes > 0, trace.nodes * per_node, demand)
    span = float(trace.submit[-1] - trace.submit[0]) if len(trace) > 1 else 0.0
    span = max(span, 1.0)
    return float((demand * trace.duration).sum()) / (max(capacity, 1) * span)


def scale_trace(trace: Trace, compress: float = 1.0, copies: int = 1, seed: int = 0) -> Trace:
    """Submit times divided by `compress`, every job replayed `copies` times (seeded jitter)."""
    if not compress > 0:
        raise SimInputError(f"--compress must be positive, got {compress}")
    if copies < 1 or copies > 10_000:
        raise SimInputError(f"--copies must be between 1 and 10000, got {copies}")
    n = len(trace)
    submit = trace.submit / compress
    rng = np.random.default_rng([seed, 31])
    gap = float(submit[-1] - submit[0]) / max(n - 1, 1)
    times = [submit] + [submit + rng.random(n) * gap for _ in range(copies - 1)]
    all_submit = np.concatenate(times)
    order = np.argsort(all_submit, kind="stable")

    def rep(a: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.tile(a, copies)[order]
        return out

    assert trace.mem_mib is not None and trace.nodes is not None
    meta = dict(trace.meta)
    meta.update({"scaled_from": trace.source, "compress": compress, "copies": copies, "scale_seed": seed})
    first = float(all_submit[order[0]])
    return Trace(all_submit[order] - first, rep(trace.duration), rep(trace.gpu_milli), rep(trace.cpu_milli),
                 rep(trace.org), rep(trace.estimate), f"{trace.source} (x{copies}, /{compress:g}, seed {seed})",
                 rep(trace.mem_mib), rep(trace.nodes), meta)


def scale_to_load(trace: Trace, federation: SimFederation, target: float, copies: int = 1,
                  seed: int = 0) -> Trace:
    """`copies` copies of every job, time compressed so the offered load is `target` (e.g. 0.8)."""
    if not 0 < target <= 10:
        raise SimInputError(f"--target-load must be in (0, 10], got {target}")
    base = offered_load(trace, federation)
    if base <= 0:
        raise SimInputError(f"{trace.source}: the trace asks for no {trace.kind} capacity to scale")
    compress = target / (base * copies)
    scaled = scale_trace(trace, compress, copies, seed)
    for _ in range(3):  # the copies' jitter stretches the span a little: correct for it
        compress *= target / offered_load(scaled, federation)
        scaled = scale_trace(trace, compress, copies, seed)
    return scaled
