"""Run the fill experiment: one seed at a time, then mean and sd over seeds per arrival level.

Per seed: draw the arrival sequence and a seeded node order (the published simulator prefixes
node names with a random 4-digit number and breaks score ties by name), then place tasks one
by one. Scores depend only on the task type and the node's state, so each type keeps a cached
score row and recomputes only nodes that changed since it was last scored (read off the
cluster's change log). The rows start from the empty cluster, scored once per hardware shape
and kept across seeds. After every arrival (failed ones included) the arrived % is rounded to
an integer; a level's figure is the mean over arrivals at that level.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from suanli.sim import SimInputError
from suanli.sim.fill import scoring
from suanli.sim.fill.best import (
    CALIBRATION_LEVELS,
    CALIBRATION_SEEDS,
    CANDIDATE_TEMPERATURES,
    BestScorer,
    best_model,
    tempered,
)
from suanli.sim.fill.data import MILLI, NodeList, PodList
from suanli.sim.fill.fgd import FGDScorer, FragmentationModel
from suanli.sim.fill.state import ClusterState
from suanli.sim.fill.workload import TaskTypes, arrival_sequence, task_types, typical_pods

Scorer = Callable[..., tuple[np.ndarray, np.ndarray]]
# What a seed derives from its inputs alone (task types, FGD's model, empty-cluster scores) is
# kept for the next seed on the same objects: id(...) -> (the objects, {name: value}). The
# entry holds the objects, so their ids stay theirs; a few entries at most.
_DERIVED: dict[tuple[int, ...], tuple[tuple[object, ...], dict[str, Any]]] = {}


def derived(of: tuple[object, ...], name: str, build: Callable[[], Any]) -> Any:
    """`build()` once per `name` for the objects `of` (which must not change afterwards)."""
    key = tuple(id(o) for o in of)
    if key not in _DERIVED:
        if len(_DERIVED) >= 8:
            _DERIVED.clear()
        _DERIVED[key] = (of, {})
    values = _DERIVED[key][1]
    if name not in values:
        values[name] = build()
    return values[name]


def _fgd(pods: PodList) -> FGDScorer:
    return FGDScorer(derived((pods,), "fgd model", lambda: FragmentationModel(typical_pods(pods))))


def _best(pods: PodList, nodes: NodeList | None = None) -> BestScorer:
    model = derived((pods,), "best model", lambda: best_model(pods))
    if nodes is None:
        return BestScorer(model)
    temperature = derived((nodes, pods), "best temperature", lambda: calibrate(nodes, pods, model))
    return BestScorer(derived((nodes, pods), "best tempered", lambda: tempered(model, *temperature)))


def calibrate(nodes: NodeList, pods: PodList, model: FragmentationModel) -> tuple[float, float]:
    """The temperatures (shared-GPU tasks, whole-GPU tasks) of `best` for this cluster and
    workload (see suanli.sim.fill.best)."""
    results = {}
    for temperature in CANDIDATE_TEMPERATURES:
        hot = tempered(model, *temperature)
        total = 0.0
        for seed in CALIBRATION_SEEDS:
            levels = _run(nodes, pods, f"calibration {temperature}", lambda _p, hot=hot: BestScorer(hot), seed, 1.3)
            total += sum(levels.get(lv, 0.0) for lv in CALIBRATION_LEVELS)
        results[temperature] = total
    return min(CANDIDATE_TEMPERATURES, key=lambda t: (results[t], t))


# Each factory gets the pod list (FGD and `best` derive their target workload from it) and
# returns a fresh scorer for one seed.
POLICIES: dict[str, Callable[[PodList], Scorer]] = {
    "fgd": _fgd,
    "bestfit": lambda _pods: scoring.bestfit,
    "packing": lambda _pods: scoring.packing,
    "clustering": lambda _pods: scoring.clustering,
    "dotprod": lambda _pods: scoring.dotprod,
    "random": lambda _pods: scoring.feasible_only,
    "best": _best,
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
    make = (lambda p: _best(p, nodes)) if policy == "best" else POLICIES[policy]
    return _run(nodes, pods, policy, make, seed, tune)


def _run(nodes: NodeList, pods: PodList, policy: str, make: Callable[[PodList], Scorer], seed: int,
         tune: float) -> dict[int, float]:
    state = ClusterState(nodes)
    n, cap = len(state), state.capacity_milli
    types = derived((pods,), "types", lambda: task_types(pods))
    scorer = make(pods)
    is_random = policy == "random"
    rng = np.random.default_rng([seed, 11])
    tie = node_order(n, seed)
    # key = score * n + tie: the argmax is the top score, ties to the seeded order; a score of -1
    # (does not fit) gives a negative key whatever the tie
    scores, chosen, group = derived((nodes, pods), policy, lambda: _empty_cluster(nodes, state, scorer, types))
    keys, gpus = scores[:, group] * n + tie, chosen[:, group]
    seen = [0] * len(types)
    arrivals = arrival_sequence(pods, cap, seed, tune)
    arriving = types.of_pod[arrivals]
    demand = (types.num_gpu * types.gpu_milli)[arriving]
    level = np.floor(np.cumsum(demand) * 100.0 / cap + 0.5).astype(np.int64)
    allocated = np.empty(len(arrivals), np.int64)
    fractional = ((types.num_gpu == 1) & (types.gpu_milli < MILLI)).tolist()
    short = max(n // 8, 1)
    # A monotone scorer gives every node a task fits a score >= 0. Tasks never leave, so a type
    # no node fits any more fails from then on without scoring.
    monotone = getattr(scorer, "monotone", False)
    update = getattr(scorer, "update", None)  # writes a type's rows itself, fewer array operations
    dead = [False] * len(types)
    for i, t in enumerate(arriving.tolist()):
        if dead[t]:
            allocated[i] = state.allocated_milli
            continue
        step = state.step
        last, seen[t] = seen[t], step
        if step - last <= short:
            idx = state.log[last:step]  # may repeat a node: rescoring it twice is harmless
        else:
            idx = np.flatnonzero(state.version > last)
        row, gpu_row = keys[t], gpus[t]
        if len(idx):
            if update is not None:
                update(state, idx, types, t, row, gpu_row, tie)
            else:
                score, chosen_gpu = scorer(state, idx, types, t)
                row[idx] = score * n + tie[idx]
                gpu_row[idx] = chosen_gpu
        node = _choose(row, rng) if is_random else int(row.argmax())
        dead[t] = monotone and row[node] < 0
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


def _empty_cluster(nodes: NodeList, state: ClusterState, scorer: Scorer,
                   types: TaskTypes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores and chosen GPUs of every task type on the empty cluster, per hardware shape.

    Nodes with the same hardware score alike while untouched, so each type is scored on one node
    per shape (15 in openb); returns (scores [type, shape], GPUs [type, shape], shape of each node).
    """
    shape = np.stack([nodes.cpu, nodes.mem, nodes.gpus, nodes.model_bit], axis=1)
    _, first, group = np.unique(shape, axis=0, return_index=True, return_inverse=True)
    scores = np.empty((len(types), len(first)), np.int64)
    chosen = np.empty_like(scores)
    for t in range(len(types)):
        scores[t], chosen[t] = scorer(state, first, types, t)
    return scores, chosen, group.reshape(-1)


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
