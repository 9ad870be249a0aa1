"""Benchmarks of the simulators: `sim_fill_seconds` (seconds per seed, FGD on the default openb
trace) and `sim_replay_events_per_s` (replay of the openb trace over the Chengdu demo federation
with the project's broker). Loading files is not timed; the simulation is. The seeds run in one
process, as `suanli sim fill` runs them: the first one also derives what later seeds reuse. The
machine is shared, so the fill figure carries CPU seconds and the load average next to wall time."""

from __future__ import annotations

import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPENB = Path("/work/shared/data/openb")
FILL_SEEDS = (42, 43, 44)
REPLAY_RUNS = 3


def fill_seconds() -> dict[str, object]:
    from suanli.sim.fill.data import load_nodes, load_pods
    from suanli.sim.fill.experiment import run_seed

    nodes = load_nodes(OPENB / "openb_node_list_gpu_node.csv")
    pods = load_pods(OPENB / "openb_pod_list_default.csv", nodes.models)
    times, cpu = [], []
    load_before = os.getloadavg()[0]
    for seed in FILL_SEEDS:
        started, started_cpu = time.perf_counter(), time.process_time()
        run_seed(nodes, pods, "fgd", seed)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {"value": round(sum(times) / len(times), 4), "unit": "s/seed", "policy": "fgd",
            "trace": "openb_pod_list_default", "seeds": list(FILL_SEEDS), "per_seed": [round(t, 4) for t in times],
            "cpu_seconds_per_seed": round(sum(cpu) / len(cpu), 4),
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)], "goal": 1.0}


def replay_events_per_s() -> dict[str, object]:
    from suanli.sim.federation import load_federation
    from suanli.sim.replay import replay_one
    from suanli.sim.traces import load_trace

    fed = load_federation(ROOT / "examples" / "sim-federation-chengdu.yaml")
    trace = load_trace(OPENB / "openb_pod_list_default.csv")
    events = wall = 0.0
    for _ in range(REPLAY_RUNS):
        result = replay_one(fed, trace, "suanli")
        events += result["events"]
        wall += result["wall_seconds"]
    return {"value": round(events / wall), "unit": "events/s", "broker": "suanli",
            "federation": "examples/sim-federation-chengdu.yaml", "trace": "openb_pod_list_default",
            "events": int(events), "runs": REPLAY_RUNS, "goal": 200_000}


def run() -> dict[str, dict[str, object]]:
    return {"sim_fill_seconds": fill_seconds(), "sim_replay_events_per_s": replay_events_per_s()}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
