"""Run the fill experiment: one seed at a time, then mean and sd over seeds per arrival level.

Per seed: draw the arrival sequence and a seeded node order (the published simulator prefixes
node names with a random 4-digit number and breaks score ties by name), then place tasks one
by one. Scores depend only on the task type and the node's state, so each type keeps a cached
score row and recomputes only nodes that changed since it was last scored: that, not a faster
scorer, is what brings a seed under a second. After every arrival (failed ones included) the
arrived % is rounded to an integer; a level's figure is the mean over arrivals at that level.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from suanli.sim import SimInputError
from suanli.sim.fill import scoring
from suanli.sim.fill.best import BestScorer
from suanli.sim.fill.data import MILLI, NodeList, PodList
from suanli.sim.fill.fgd import FGDScorer
from suanli.sim.fill.state import ClusterState
from suanli.sim.fill.workload import TaskTypes, arrival_sequence, task_types, typical_pods

Scorer = Callable[..., tuple[np.ndarray, np.ndarray]]
# Each factory gets the pod list (FGD and `best` derive their target workload from it).
POLICIES: dict[str, Callable[[PodList], Scorer]] = {
    "fgd": lambda pods: FGDScorer(typical_pods(pods)),
    "bestfit": lambda _pods: scoring.bestfit,
    "packing": lambda _pods: scoring.packing,
    "clustering": lambda _pods: scoring.clustering,
    "dotprod": lambda _pods: scoring.dotprod,
    "random": lambda _pods: scoring.feasible_only,
    "best": BestScorer.for_pods,
}
TABLE_LEVELS = (90, 95, 100, 110, 120, 130)


def node_order(n: int, seed: int) -> np.ndarray:
    """Tie-break value per node (higher wins): a seeded 4-digit prefix, then the original name order."""
    prefix = np.random.default_rng([seed, 7]).integers(1000, 10_000, size=n)
    order = np.lexsort((np.arange(n), prefix))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    return n - 1 - rank


def run_seed(nodes: NodeList, pods: PodList, policy: str, seed: int, tune: float = 1.3) -> dict[int, float]:
    """Unallocated GPU % per integer arrival level for one seed."""
    if policy not in POLICIES:
        raise SimInputError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
    state = ClusterState(nodes)
    n, cap = len(state), state.capacity_milli
    types = task_types(pods)
    scorer = POLICIES[policy](pods)
    is_random = policy == "random"
    rng = np.random.default_rng([seed, 11])
    tie = node_order(n, seed)
    # key = score * n + tie: the argmax is the top score, ties to the seeded order; a score of -1
    # (does not fit) gives a negative key whatever the tie
    keys, gpus = _initial_keys(nodes, state, scorer, types, tie)
    seen = [0] * len(types)
    arrivals = arrival_sequence(pods, cap, seed, tune)
    arriving = types.of_pod[arrivals]
    demand = (types.num_gpu * types.gpu_milli)[arriving]
    level = np.floor(np.cumsum(demand) * 100.0 / cap + 0.5).astype(np.int64)
    allocated = np.empty(len(arrivals), np.int64)
    fractional = ((types.num_gpu == 1) & (types.gpu_milli < MILLI)).tolist()
    short = max(n // 8, 1)
    for i, t in enumerate(arriving.tolist()):
        step = state.step
        last, seen[t] = seen[t], step
        if step - last <= short:
            idx = state.log[last:step]  # may repeat a node: rescoring it twice is harmless
        else:
            idx = np.flatnonzero(state.version > last)
        row, gpu_row = keys[t], gpus[t]
        if len(idx):
            score, gpu = scorer(state, idx, types, t)
            row[idx] = score * n + tie[idx]
            gpu_row[idx] = gpu
        node = _choose(row, rng) if is_random else int(row.argmax())
        if row[node] >= 0:
            gpu = int(gpu_row[node])
            if is_random and fractional[t]:
                gpu = int(rng.choice(np.flatnonzero(state.gfree[node] >= types.gpu_milli[t])))
            state.place(node, types, t, gpu)
        allocated[i] = state.allocated_milli
    ratio = allocated / cap
    sums = np.bincount(level, weights=ratio)
    counts = np.bincount(level)
    return {int(lv): 100.0 - 100.0 * sums[lv] / counts[lv] for lv in np.flatnonzero(counts)}


def _initial_keys(nodes: NodeList, state: ClusterState, scorer: Scorer, types: TaskTypes,
                  tie: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys and chosen GPUs of every task type on the empty cluster.

    Nodes with the same hardware score alike while untouched, so each type is scored on one node
    per hardware shape (15 in openb) and the row is spread to the others.
    """
    shape = np.stack([nodes.cpu, nodes.mem, nodes.gpus, nodes.model_bit], axis=1)
    _, first, group = np.unique(shape, axis=0, return_index=True, return_inverse=True)
    scores = np.empty((len(types), len(first)), np.int64)
    chosen = np.empty_like(scores)
    for t in range(len(types)):
        scores[t], chosen[t] = scorer(state, first, types, t)
    group = group.reshape(-1)
    return scores[:, group] * len(tie) + tie, chosen[:, group]


def _choose(key_row: np.ndarray, rng: np.random.Generator) -> int:
    feasible = np.flatnonzero(key_row >= 0)
    return int(rng.choice(feasible)) if len(feasible) else 0


@dataclass
class FillResult:
    policy: str
    seeds: list[int]
    per_seed: list[dict[int, float]] = field(default_factory=list)
    wall_seconds: float = 0.0

    def points(self) -> list[dict[str, float]]:
        levels = sorted(set.intersection(*(set(s) for s in self.per_seed)))
        out = []
        for lv in levels:
            values = np.array([s[lv] for s in self.per_seed])
            sd = float(values.std(ddof=1)) if len(values) > 1 else 0.0
            out.append({"arrived_pct": lv, "unallocated_gpu_pct_mean": round(float(values.mean()), 4),
                        "unallocated_gpu_pct_sd": round(sd, 4)})
        return out

    def to_json(self) -> dict[str, object]:
        return {"policy": self.policy, "seeds": self.seeds, "points": self.points(),
                "wall_seconds": round(self.wall_seconds, 3),
                "seconds_per_seed": round(self.wall_seconds / max(len(self.seeds), 1), 4)}


def run_fill(nodes: NodeList, pods: PodList, policy: str, seeds: list[int], tune: float = 1.3,
             workers: int = 1, ray_address: str | None = None) -> FillResult:
    from suanli.sim.fill.parallel import map_seeds

    if policy not in POLICIES:
        raise SimInputError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
    started = time.perf_counter()
    per_seed = map_seeds(nodes, pods, policy, seeds, tune, workers, ray_address)
    return FillResult(policy, list(seeds), per_seed, time.perf_counter() - started)
