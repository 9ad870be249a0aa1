"""`best`, the project's own fill policy: FGD against a target workload that keeps every
GPU-model-constrained task shape.

FGD measures fragmentation against the "typical pods" that cover 95 % of the trace. On a trace
where some tasks accept only certain GPU models (`gpu_spec`), those constrained shapes are each
rare, so the 95 % cut drops most of them: FGD then does not see that an unconstrained task on
a T4 node takes capacity only the T4-constrained tasks could use, and those fail later. `best`
adds back every constrained shape with its true frequency (a GPU-model-aware reservation, in
effect). On a trace without model constraints the target workload, and so every placement, is
exactly FGD's; the table in docs/simulator.md shows where it is better.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from suanli.sim.fill.data import PodList
from suanli.sim.fill.fgd import FGDScorer
from suanli.sim.fill.workload import TypicalPods, typical_pods


def reserving_target(pods: PodList) -> TypicalPods:
    """FGD's typical pods plus every model-constrained shape, weighted by true frequency."""
    base = typical_pods(pods)
    keys = list(zip(pods.cpu.tolist(), pods.gpu_milli.tolist(), pods.num_gpu.tolist(), pods.spec_mask.tolist()))
    counts = Counter(keys)
    chosen = list(zip(base.cpu.tolist(), base.gpu_milli.tolist(), base.num_gpu.tolist(), base.spec_mask.tolist()))
    chosen += [key for key in counts if key[3] and key not in set(chosen)]
    if len(chosen) == len(base.cpu):
        return base
    cpu, milli, num_gpu, mask = (np.array(c, np.int64) for c in zip(*chosen))
    weight = np.array([counts[key] for key in chosen], np.float64)
    return TypicalPods(cpu, milli, num_gpu, mask, weight / weight.sum())


class BestScorer(FGDScorer):
    @classmethod
    def for_pods(cls, pods: PodList) -> BestScorer:
        return cls(reserving_target(pods))
