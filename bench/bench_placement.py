"""Benchmark of the broker: `placement_decisions_per_s`.

10,000 pending jobs of mixed shapes (device counts and A100-equivalents, several ecosystems and
model sets, memory floors, gang widths, deadlines, budgets, data locality, the four presets, 200
organisations) over 50 pools in 10 centers, placed in one batch cycle with their full decisions:
chosen option with score components, ranked options for failover, and every excluded pool's
structured reason. Also single-quote latency (p50/p99) and the share of jobs that were contended.
Peer: Slurm's published "500 simple batch jobs per second sustained" (a figure, not measured here).
"""

from __future__ import annotations

import random
import statistics
import time

from suanli.domain.placement import PendingJob, PlacementRequest, PoolTable, PoolView, place_batch, quote
from suanli.domain.placement.errors import NoFeasiblePlacement
from suanli.domain.placement.greedy import place_sequentially
from suanli.domain.placement.units import DEFAULT_RATES
from suanli.domain.resources import Ecosystem

MODELS = ["A800", "H800", "H20", "A100", "L40S", "V100", "T4", "Ascend910B", "HygonK100", "CPU"]
CITIES = ["chengdu", "chengdu", "chengdu", "yaan", "dazhou", "mianyang", "deyang", "leshan", "yibin", "nanchong"]


def federation(seed: int = 7) -> list[PoolView]:
    rng = random.Random(seed)
    pools = []
    for c in range(10):
        for k in range(5):
            model = MODELS[(c + k * 3) % len(MODELS)]
            dpn = 64 if model == "CPU" else rng.choice([4, 8, 8])
            nodes = rng.randint(8, 40)
            total = nodes * dpn
            pools.append(PoolView(
                pool_id=c * 5 + k + 1, center=f"center-{c}", pool=f"{model.lower()}-{k}", model=model,
                devices_per_node=dpn, nodes=nodes, price_fen_per_device_hour=rng.randint(300, 3000),
                free_devices=rng.randint(0, total), cpus_per_node=rng.choice([64, 128]),
                memory_gb_per_node=rng.choice([512, 1024]), queued_device_hours=rng.uniform(0, total * 4),
                green_share=rng.uniform(0, 0.9), city=CITIES[c], region="sichuan", designated=c < 4,
                available=not (c == 9 and k == 0)))
    return pools


def jobs(n: int, seed: int = 11) -> list[PendingJob]:
    rng = random.Random(seed)
    eco_sets = [frozenset({Ecosystem.CUDA}), frozenset({Ecosystem.CUDA, Ecosystem.CANN}), frozenset({Ecosystem.CANN}),
                frozenset({Ecosystem.ROCM}), frozenset({Ecosystem.CPU}), frozenset()]
    model_sets = [frozenset(), frozenset(), frozenset({"A800", "H800", "A100"}), frozenset({"H20"})]
    out = []
    for i in range(n):
        ecos = rng.choice(eco_sets)
        cpu = ecos == frozenset({Ecosystem.CPU})
        by_units = not cpu and rng.random() < 0.2
        models = frozenset() if cpu or ecos != eco_sets[0] else rng.choice(model_sets)
        devices = rng.choice([64, 128, 256]) if cpu else rng.choice([1, 1, 2, 4, 8, 8, 16, 32, 64])
        gang = 8 if not cpu and not by_units and devices >= 8 and rng.random() < 0.5 else None
        hours = rng.choice([0.5, 1, 2, 4, 12, 24, 48])
        request = PlacementRequest(
            devices=None if by_units else devices, equivalents=rng.choice([8, 16, 64]) if by_units else None,
            ecosystems=ecos, models=models, min_device_memory_gb=rng.choice([0, 0, 32, 64, 80]) if not cpu else 0,
            devices_per_node=gang, cpus_per_device=1 if cpu else rng.choice([4, 8, 16]),
            memory_gb_per_device=rng.choice([2, 4]) if cpu else rng.choice([32, 64]), hours=hours,
            deadline_hours=hours * rng.choice([2, 4]) if rng.random() < 0.2 else None,
            max_price_fen=rng.choice([50_000, 500_000, 5_000_000]) if rng.random() < 0.3 else None,
            designated_only=rng.random() < 0.15, input_city=rng.choice(CITIES) if rng.random() < 0.3 else None,
            input_gb=rng.choice([10, 100, 2000]), prefer=rng.choice(["cheapest", "fastest", "greenest", "balanced"]))
        out.append(PendingJob(key=i, organisation_id=rng.randrange(200), request=request))
    return out


def run() -> dict[str, dict]:
    pools = federation()
    pending = jobs(10_000)
    place_batch(pending[:500], pools)  # warm-up: imports, HiGHS load
    timings, result = [], None
    for _ in range(3):
        started = time.perf_counter()
        result = place_batch(pending, pools)
        timings.append(time.perf_counter() - started)
    seconds = statistics.median(timings)
    outcomes = {k: sum(d.outcome == k for d in result.decisions) for k in ("placed", "deferred", "infeasible")}
    greedy = place_sequentially([(j.request, j.organisation_id) for j in pending], pools)
    batch_scores = [d.option.score for d in result.decisions if d.outcome == "placed"]
    models = {p.pool_id: p.model for p in pools}
    greedy_devices = sum(j.request.devices or DEFAULT_RATES.devices_for(j.request.equivalents, models[p],
                                                                        j.request.devices_per_node or 1)
                         for j, p in zip(pending, greedy, strict=True) if p is not None)
    table = PoolTable(pools)
    latencies = []
    for job in pending[:400]:
        started = time.perf_counter()
        try:
            quote(job.request, table, payer=job.organisation_id)
        except NoFeasiblePlacement:
            pass
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {"placement_decisions_per_s": {
        "value": round(len(pending) / seconds), "unit": "decisions/s",
        "peer": "Slurm published: 500 simple batch jobs/s sustained", "peer_value": 500,
        "jobs": len(pending), "pools": len(pools), "centers": 10, "batch_seconds_median_of_3": round(seconds, 3),
        "outcomes": outcomes, "contended_jobs": result.contended_jobs, "job_classes": result.classes,
        "solver": result.solver,
        "batch_devices_placed": sum(d.option.devices for d in result.decisions if d.outcome == "placed"),
        "greedy_first_come_placed": sum(p is not None for p in greedy), "greedy_devices_placed": greedy_devices,
        "batch_mean_score_of_placed": round(statistics.mean(batch_scores), 2),
        "single_quote_p50_ms": round(latencies[len(latencies) // 2], 3),
        "single_quote_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 3),
        "goal": ">= 5000 decisions/s on 2 cores",
    }}


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=2))
