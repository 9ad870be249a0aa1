"""How far a fill policy is from what is possible: offline bounds solved with HiGHS.

Offline means every task of the arrival sequence is known in advance and may go anywhere (no
order, no regret). Two figures, both "the least unallocated GPU % any placement could reach"
at an arrival level:

* `lp_bound`: the LP relaxation on the whole cluster. Tasks of one type may be split over node
  shapes; per shape the summed CPU, memory and GPU milli must fit, a task goes only on shapes
  whose one node can hold it (CPU, memory, GPU count, GPU model). It is a valid lower bound on the
  unallocated %, and a weak one: it ignores how tasks fit on single nodes and GPUs.
* `ilp_bound`: the exact integer program on a sampled sub-cluster (every `stride`-th node in a
  seeded order of nodes sorted by shape, so shapes keep their proportions), fed with the seed's
  own arrival sequence cut at the same level of the sub-cluster's capacity. Tasks are whole,
  fractional tasks sit on one GPU, whole-GPU tasks take whole GPUs. HiGHS solves it to a time
  limit and we report its dual bound (the optimum when it closes the gap). It is the optimum of
  the same experiment on a sample, not a bound for the whole cluster: an estimate of the floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from suanli.sim.fill.data import MILLI, NodeList, PodList
from suanli.sim.fill.workload import arrival_sequence, task_types


@dataclass
class _Model:
    """Columns and rows collected before one hand-over to HiGHS (a maximisation)."""

    cost: list[float]
    upper: list[float]
    integer: list[int]
    rows: list[tuple[list[int], list[float], float]]  # (columns, coefficients, upper bound)

    def col(self, cost: float, upper: float, integer: bool = True) -> int:
        self.cost.append(cost)
        self.upper.append(upper)
        if integer:
            self.integer.append(len(self.cost) - 1)
        return len(self.cost) - 1

    def row(self, cols: list[int], coefs: list[float], upper: float) -> None:
        if cols:
            self.rows.append((cols, coefs, upper))

    def solve(self, relax: bool, time_limit: float) -> tuple[float, float, bool]:
        """(best objective found, dual bound, proven optimal)."""
        import highspy

        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("time_limit", float(time_limit))
        n = len(self.cost)
        h.addCols(n, np.array(self.cost), np.zeros(n), np.array(self.upper), 0, np.array([], np.int32),
                  np.array([], np.int32), np.array([], np.float64))
        starts, index, value, upper = [], [], [], []
        for cols, coefs, ub in self.rows:
            starts.append(len(index))
            index.extend(cols)
            value.extend(coefs)
            upper.append(ub)
        m = len(upper)
        h.addRows(m, np.full(m, -h.getInfinity()), np.array(upper, np.float64), len(index),
                  np.array(starts, np.int32), np.array(index, np.int32), np.array(value, np.float64))
        if not relax and self.integer:
            h.changeColsIntegrality(len(self.integer), np.array(self.integer, np.int32),
                                    np.full(len(self.integer), highspy.HighsVarType.kInteger))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.run()
        info = h.getInfo()
        best = float(info.objective_function_value)
        optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if relax or not self.integer:
            return best, best, optimal
        dual = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else best
        return best, max(dual, best), optimal


def _arrived(pods: PodList, capacity_milli: int, seed: int, level: float, tune: float) -> np.ndarray:
    """Pods of the seed's arrival sequence while the arrived % (rounded) is at most `level`."""
    arrivals = arrival_sequence(pods, capacity_milli, seed, tune)
    demand = (pods.num_gpu * pods.gpu_milli)[arrivals]
    arrived = np.floor(np.cumsum(demand) * 100.0 / capacity_milli + 0.5)
    result: np.ndarray = arrivals[arrived <= level]
    return result


def _compatible(nodes: NodeList, node: int, cpu: int, mem: int, k: int, mask: int) -> bool:
    if cpu > nodes.cpu[node] or mem > nodes.mem[node] or k > nodes.gpus[node]:
        return False
    return not (k and mask and not nodes.model_bit[node] & mask)


def lp_bound(nodes: NodeList, pods: PodList, seed: int, level: float = 100, tune: float = 1.3) -> float:
    """Unallocated GPU % no placement can beat at `level` (LP relaxation over node shapes)."""
    cap = nodes.total_gpu_milli
    chosen = _arrived(pods, cap, seed, level, tune)
    types = task_types(pods)
    counts = np.bincount(types.of_pod[chosen], minlength=len(types))
    shape = np.stack([nodes.cpu, nodes.mem, nodes.gpus, nodes.model_bit], axis=1)
    _, first, group = np.unique(shape, axis=0, return_index=True, return_inverse=True)
    per_shape = np.bincount(group.reshape(-1))
    model = _Model([], [], [], [])
    by_type: dict[int, list[int]] = {}
    by_shape: dict[int, list[tuple[int, int]]] = {}
    for t in np.flatnonzero(counts).tolist():
        k, milli = int(types.num_gpu[t]), int(types.gpu_milli[t])
        for s, node in enumerate(first.tolist()):
            if _compatible(nodes, node, int(types.cpu[t]), int(types.mem[t]), k, int(types.spec_mask[t])):
                col = model.col(float(k * milli), float(counts[t]), integer=False)
                by_type.setdefault(t, []).append(col)
                by_shape.setdefault(s, []).append((col, t))
    for t, cols in by_type.items():
        model.row(cols, [1.0] * len(cols), float(counts[t]))
    for s, items in by_shape.items():
        node, many = int(first[s]), float(per_shape[s])
        cols = [c for c, _ in items]
        model.row(cols, [float(types.cpu[t]) for _, t in items], many * float(nodes.cpu[node]))
        model.row(cols, [float(types.mem[t]) for _, t in items], many * float(nodes.mem[node]))
        model.row(cols, [float(types.num_gpu[t] * types.gpu_milli[t]) for _, t in items],
                  many * float(nodes.gpus[node] * MILLI))
    best, _, _ = model.solve(relax=True, time_limit=60)
    return 100.0 - 100.0 * best / cap


@dataclass(frozen=True)
class SubclusterBound:
    unallocated_pct: float  # HiGHS's dual bound: no placement on the sample does better
    incumbent_pct: float  # the best integer placement HiGHS found
    optimal: bool
    nodes: int
    tasks: int


def sample_nodes(nodes: NodeList, stride: int, seed: int) -> np.ndarray:
    """Every `stride`-th node of a seeded order sorted by hardware shape (shapes keep their share)."""
    rng = np.random.default_rng([seed, 23])
    order = np.lexsort((rng.random(len(nodes.names)), nodes.model_bit, nodes.gpus, nodes.mem, nodes.cpu))
    picked: np.ndarray = np.sort(order[int(rng.integers(stride))::stride])
    return picked


def ilp_bound(nodes: NodeList, pods: PodList, seed: int, level: float = 100, stride: int = 20,
              tune: float = 1.3, time_limit: float = 30.0, per_gpu: bool = False) -> SubclusterBound:
    """The fill optimum on a sampled sub-cluster at `level` (see the module docstring).

    With `per_gpu` each fractional task sits on one GPU (the exact problem, which HiGHS rarely
    closes in seconds: the GPUs of a node are symmetric). Without it, fractional tasks share the
    node's GPUs not given to whole-GPU tasks as one amount: a relaxation, so still a valid bound,
    that HiGHS closes quickly."""
    sub = sample_nodes(nodes, stride, seed)
    cap = int(nodes.gpus[sub].sum()) * MILLI
    chosen = _arrived(pods, cap, seed, level, tune)
    types = task_types(pods)
    counts = np.bincount(types.of_pod[chosen], minlength=len(types))
    model = _Model([], [], [], [])
    by_type: dict[int, list[int]] = {}
    for node in sub.tolist():
        cpu_cols: list[int] = []
        cpu_coef: list[float] = []
        mem_coef: list[float] = []
        g = int(nodes.gpus[node])
        whole_gpu = [model.col(0.0, 1.0) for _ in range(g)]  # GPU given to whole-GPU tasks
        for a, b in pairwise(whole_gpu):  # symmetry: whole tasks take the lowest GPUs
            model.row([b, a], [1.0, -1.0], 0.0)
        gpu_rows: list[tuple[list[int], list[float]]] = [([], []) for _ in range(g)]
        shared_cols: list[int] = []
        shared_coef: list[float] = []
        whole_cols: list[int] = []
        whole_k: list[float] = []
        for t in np.flatnonzero(counts).tolist():
            cpu, mem, k, milli = (int(x[t]) for x in (types.cpu, types.mem, types.num_gpu, types.gpu_milli))
            if not _compatible(nodes, node, cpu, mem, k, int(types.spec_mask[t])):
                continue
            limit = float(counts[t])
            if k == 1 and milli < MILLI and not per_gpu:
                col = model.col(float(milli), limit)
                per_gpu_cols = [col]
                shared_cols.append(col)
                shared_coef.append(float(milli))
                by_type.setdefault(t, []).append(col)
                cpu_cols.extend(per_gpu_cols)
                cpu_coef.append(float(cpu))
                mem_coef.append(float(mem))
            elif k == 1 and milli < MILLI:
                for i in range(g):
                    col = model.col(float(milli), min(limit, MILLI // milli))
                    gpu_rows[i][0].append(col)
                    gpu_rows[i][1].append(float(milli))
                    by_type.setdefault(t, []).append(col)
                    cpu_cols.append(col)
                    cpu_coef.append(float(cpu))
                    mem_coef.append(float(mem))
            else:
                col = model.col(float(k * milli), limit)
                by_type.setdefault(t, []).append(col)
                cpu_cols.append(col)
                cpu_coef.append(float(cpu))
                mem_coef.append(float(mem))
                if k:
                    whole_cols.append(col)
                    whole_k.append(float(k))
        model.row(cpu_cols, cpu_coef, float(nodes.cpu[node]))
        model.row(cpu_cols, mem_coef, float(nodes.mem[node]))
        if whole_cols:
            model.row(whole_cols + whole_gpu, whole_k + [-1.0] * g, 0.0)
        for i, (cols, coefs) in enumerate(gpu_rows):
            if cols:
                model.row(cols + [whole_gpu[i]], coefs + [float(MILLI)], float(MILLI))
        if shared_cols:
            model.row(shared_cols + whole_gpu, shared_coef + [float(MILLI)] * g, float(g * MILLI))
    for t, cols in by_type.items():
        model.row(cols, [1.0] * len(cols), float(counts[t]))
    best, dual, optimal = model.solve(relax=False, time_limit=time_limit)
    return SubclusterBound(100.0 - 100.0 * dual / cap, 100.0 - 100.0 * best / cap, optimal, len(sub), len(chosen))
