"""The seeded arrival sequence, the task types and FGD's typical-pod distribution.

The published workload is the trace sorted by name and shuffled with the seed, followed by
"tuning" pods drawn with replacement until the next one would pass `tune` x the cluster's
GPU capacity (the real trace alone is about 98 % of capacity, so it arrives first). Tasks
are grouped into types (identical requests) so that scores can be cached per type.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from suanli.sim.fill.data import PodList

TYPICAL_COVERAGE = 0.95


def arrival_sequence(pods: PodList, capacity_milli: int, seed: int, tune: float) -> np.ndarray:
    """Pod indices in arrival order for one seed."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pods))
    demand = pods.num_gpu * pods.gpu_milli
    limit = tune * capacity_milli
    total = float(demand.sum())
    extra: list[np.ndarray] = []
    while total <= limit and demand.any():
        draw = rng.integers(0, len(pods), size=4096)
        running = total + np.cumsum(demand[draw])
        stop = int(np.searchsorted(running, limit, side="right"))  # first draw that would pass
        extra.append(draw[:stop])
        if stop < len(draw):
            break
        total = float(running[-1])
    return np.concatenate([order, *extra]) if extra else order


@dataclass(frozen=True)
class TaskTypes:
    """Distinct requests: every pod maps to one type; scores are cached per type."""

    of_pod: np.ndarray
    cpu: np.ndarray
    mem: np.ndarray
    num_gpu: np.ndarray
    gpu_milli: np.ndarray
    spec_mask: np.ndarray

    def __len__(self) -> int:
        return len(self.cpu)


def task_types(pods: PodList) -> TaskTypes:
    table = np.stack([pods.cpu, pods.mem, pods.num_gpu, pods.gpu_milli, pods.spec_mask], axis=1)
    unique, inverse = np.unique(table, axis=0, return_inverse=True)
    return TaskTypes(inverse.reshape(-1), *(unique[:, i].copy() for i in range(5)))


@dataclass(frozen=True)
class TypicalPods:
    """FGD's target workload: the most frequent (cpu, gpu_milli, num_gpu, model) tuples."""

    cpu: np.ndarray
    gpu_milli: np.ndarray
    num_gpu: np.ndarray
    spec_mask: np.ndarray
    weight: np.ndarray  # renormalised frequency, sums to 1


def typical_pods(pods: PodList, coverage: float = TYPICAL_COVERAGE) -> TypicalPods:
    keys = list(zip(pods.cpu.tolist(), pods.gpu_milli.tolist(), pods.num_gpu.tolist(),
                    pods.spec_mask.tolist()))
    counts = Counter(keys).most_common()  # most frequent first; ties keep first appearance
    chosen, covered = [], 0
    for key, count in counts:
        if covered >= coverage * len(keys):
            break
        chosen.append((key, count))
        covered += count
    cols = list(zip(*(key for key, _ in chosen)))
    weight = np.array([c for _, c in chosen], np.float64)
    return TypicalPods(np.array(cols[0], np.int64), np.array(cols[1], np.int64), np.array(cols[2], np.int64),
                       np.array(cols[3], np.int64), weight / weight.sum())
