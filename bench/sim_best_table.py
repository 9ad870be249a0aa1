"""The rows of docs/simulator.md's policy x trace table for one or more fill policies: every openb
variant, 10 seeds (42-51), unallocated GPU % mean ± sd at arrival levels 90-130, plus wall and
CPU seconds per seed (`best` calibrates once per trace, before its first seed; that time is
reported apart). One process per trace, two at once.

Usage: python bench/sim_best_table.py [best,fgd] > rows.json
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

OPENB = Path("/work/shared/data/openb")
SEEDS = list(range(42, 52))
LEVELS = (90, 95, 100, 110, 120, 130)
TRACES = ("default", "cpu050", "gpushare40", "gpuspec10", "multigpu20")


def one_trace(args: tuple[str, str]) -> dict[str, object]:
    from suanli.sim.fill.data import load_nodes, load_pods
    from suanli.sim.fill.experiment import _best, run_seed

    trace, policy = args
    nodes = load_nodes(OPENB / "openb_node_list_gpu_node.csv")
    pods = load_pods(OPENB / f"openb_pod_list_{trace}.csv", nodes.models)
    calibration = 0.0
    temperature = None
    if policy == "best":
        started = time.perf_counter()
        scorer = _best(pods, nodes)  # calibrates and keeps the temperature for the seeds
        calibration = time.perf_counter() - started
        base = _best(pods).model
        temperature = [round(scorer.model.scale / base.scale, 3), round(scorer.model.whole_scale / base.whole_scale, 3)]
    per_seed, wall, cpu = [], [], []
    for seed in SEEDS:
        started, started_cpu = time.perf_counter(), time.process_time()
        per_seed.append(run_seed(nodes, pods, policy, seed))
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    levels = {}
    for lv in LEVELS:
        values = np.array([s[lv] for s in per_seed])
        levels[lv] = (round(float(values.mean()), 3), round(float(values.std(ddof=1)), 3))
    return {"trace": trace, "policy": policy, "levels": levels, "at_100": [round(s[100], 3) for s in per_seed],
            "wall_s_per_seed": round(float(np.mean(wall)), 3), "cpu_s_per_seed": round(float(np.mean(cpu)), 3),
            "calibration_s": round(calibration, 2), "temperature": temperature,
            "load_average_1min": round(os.getloadavg()[0], 2)}


def main(argv: list[str]) -> int:
    policies = (argv[0] if argv else "best").split(",")
    jobs = [(t, p) for p in policies for t in TRACES]
    with ProcessPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(one_trace, jobs))
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
