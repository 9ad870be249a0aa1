"""The fused replay loop (`Replay.run`) gives exactly what the step-by-step reference loop
(`Replay.run_reference`, the engine as it was before the speed-up) gives: every start, center,
pool, bill, subsidy, utilisation area and curve, for every broker, on GPU and CPU traces."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from suanli.sim.brokers import BROKERS
from suanli.sim.engine import Replay
from suanli.sim.federation import SimCenter, SimFederation, SimPool, VoucherProgram, load_federation
from suanli.sim.scaler import scale_to_load
from suanli.sim.traces import Trace, load_trace

ROOT = Path(__file__).resolve().parents[3]
# shared/ sits beside the checkout (CI lays a copy there); /work/shared in the sessions' workplace
OPENB = next((d / "openb_pod_list_default.csv" for d in (ROOT.parent / "shared" / "data" / "openb",
                                                          Path("/work/shared/data/openb")) if d.is_dir()),
             Path("/work/shared/data/openb/openb_pod_list_default.csv"))


def _outcome(r: Replay) -> dict[str, object]:
    return {"start": r.start, "center": r.center, "pool": r.pool_of, "cost": r.cost, "subsidy": r.subsidy,
            "busy_area": r.busy_area, "busy_area_c": r.busy_area_c, "busy_curve": r.busy_curve,
            "subsidy_curve": r.subsidy_curve, "budget_left": r.budget_left, "budget_out_at": r.budget_out_at,
            "events": r.events, "backlog": r.backlog, "last_change": r.last_change,
            "free": (r.free_g, r.free_c, r.pfree_g, r.pfree_c, r.pfree_m)}


def _both(fed: SimFederation, trace: Trace, broker: str) -> tuple[dict[str, object], dict[str, object]]:
    fast, slow = Replay(fed, trace), Replay(fed, trace)
    fast.run(BROKERS[broker]())
    slow.run_reference(BROKERS[broker]())
    return _outcome(fast), _outcome(slow)


@pytest.fixture(scope="module")
def openb_scaled() -> tuple[SimFederation, Trace]:
    if not OPENB.exists():
        pytest.skip("the openb trace (shared/data/openb) is not here")
    fed = load_federation(ROOT / "examples" / "sim-federation-chengdu.yaml")
    whole = load_trace(OPENB)
    n = 1500  # the first 1,500 pods, copied and compressed to an offered load of 0.9: queues, backfill
    part = Trace(whole.submit[:n], whole.duration[:n], whole.gpu_milli[:n], whole.cpu_milli[:n], whole.org[:n],
                 whole.estimate[:n], "openb head", whole.mem_mib[:n], whole.nodes[:n])  # type: ignore[index]
    return fed, scale_to_load(part, fed, 0.9, seed=7)


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_fused_loop_places_like_the_reference_on_openb(openb_scaled: tuple[SimFederation, Trace],
                                                       broker: str) -> None:
    fed, trace = openb_scaled
    fast, slow = _both(fed, trace, broker)
    assert fast == slow
    waits = np.array(fast["start"]) - trace.submit  # type: ignore[operator]
    assert (waits > 0).sum() > 100  # queues did form, so the local policies had work to do
    assert fast["budget_out_at"] is not None or broker == "cheapest"


def _cpu_federation(budget: int) -> SimFederation:
    gpu = SimPool("A800", 2, 8, 64, 512, False)
    cpu = SimPool("CPU", 16, 0, 32, 64, True)
    small = SimPool("CPU", 4, 0, 16, 0, True)
    centers = [
        SimCenter("mixed", "mixed", "easy-backfill", 16_000, (2 * 64 + 16 * 32) * 1000, 8, 900, 4, 0.3, True,
                  (gpu, cpu)),
        SimCenter("campus", "campus", "fifo", 0, 64_000, 0, 0, 3, 0.3, False, (small,)),
        SimCenter("hpc", "hpc", "easy-backfill", 0, 512_000, 0, 0, 5, 0.3, True, (cpu,)),
    ]
    return SimFederation("cpu", centers, VoucherProgram(budget, Fraction(1, 3)), [0, 1, 2], 2000, 40)


def _cpu_trace(nodes: bool, n: int = 1200, seed: int = 5) -> Trace:
    rng = np.random.default_rng(seed)
    submit = np.sort(rng.uniform(0, 40_000, n))
    duration = rng.uniform(30, 4000, n)
    cores = rng.choice([1, 2, 4, 8, 16, 32, 64, 128, 700], n) * 1000
    mem = rng.choice([0, 1024, 8192, 65_536, 600_000], n)
    whole = rng.choice([0, 1, 2, 4], n) if nodes else np.zeros(n, np.int64)
    gpu = np.where(rng.random(n) < 0.1, rng.choice([500, 1000, 4000], n), 0)
    return Trace(submit - submit[0], duration, gpu, np.where(whole > 0, 0, cores), np.arange(n) % 3,
                 duration * rng.uniform(1, 3, n), "synthetic cpu", mem, whole)


@pytest.mark.parametrize("nodes", [False, True], ids=["cores", "whole-nodes"])
@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_fused_loop_places_like_the_reference_on_cpu_pools(broker: str, nodes: bool) -> None:
    """Multi-pool centers (CPU partition tried first), multi-node jobs, memory, a budget that runs out."""
    fast, slow = _both(_cpu_federation(budget=20_000), _cpu_trace(nodes), broker)
    assert fast == slow
    assert -1 in fast["center"] or broker != "home-center"  # type: ignore[operator]
    assert len(set(fast["pool"])) >= 3  # type: ignore[arg-type]
