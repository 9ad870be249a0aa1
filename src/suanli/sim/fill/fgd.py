"""Fragmentation Gradient Descent (FGD): place each task where it least increases the expected
GPU fragmentation, measured against the workload's typical-pod distribution.

A node's fragment for one typical pod (k GPUs of m milli, c milli-CPU) is the free milli on
GPUs with less than m free when the pod would fit there, and all free GPU milli otherwise
(CPU-only typical pods count all free GPU milli). Node fragmentation is the frequency-weighted
sum. We weight by integer counts, not float frequencies, so "no change" is exactly zero and
scores 50 like the published simulator; the score is 100 x sigmoid(delta / 1000), truncated.
A fractional task tries every fitting GPU and keeps the first with the top integer score.

Speed: per node we keep, for every typical pod, how many GPUs could host it and the free milli
on the others, kept in step with the cluster's change log; a placement changes those by table
look-ups indexed by a GPU's free milli, so scoring a task is a handful of array operations on
the few nodes that changed, and only on nodes the task fits. Scores are identical to scoring
every GPU of every node (tests/unit/sim/test_fill_regression.py pins the placements).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from suanli.sim.fill.data import MILLI
from suanli.sim.fill.state import ClusterState
from suanli.sim.fill.workload import TaskTypes, TypicalPods

# GPU count recorded for a typical pod the node's GPU model can never host: below any need,
# even after a placement takes one more GPU away, so one comparison covers model and count
NEVER = -MILLI
# below this many nodes, scoring repeated GPUs costs less than finding them
DEDUPE_FROM = 16
CLOSING_BONUS = 101  # added to the score of a GPU a shared task closes (`best`)


class FragmentationModel:
    """Fragmentation of node states against one typical-pod distribution (integer-weighted)."""

    def __init__(self, typical: TypicalPods) -> None:
        self.cpu = typical.cpu
        self.milli = np.maximum(typical.gpu_milli, 1)
        self.k = typical.num_gpu
        self.mask = typical.spec_mask
        # integer weights proportional to frequency: exact sums, one division at the end
        self.weight = np.rint(typical.weight / typical.weight.min() * 1000).astype(np.int64)
        self.scale = float(self.weight.sum()) * 1000.0
        self.whole_scale = self.scale  # the divisor for tasks of whole GPUs (`best` may make it hotter)
        free = np.arange(MILLI + 1)[:, None]
        self.ge = (free >= self.milli).astype(np.int64)  # [free milli, typical pod]
        self.below = np.where(free >= self.milli, 0, free)
        self.p = len(self.k)
        self.earlier = {w: np.tri(w, k=-1, dtype=bool) for w in range(1, 17)}  # [j, i]: GPU i before j
        self._delta: dict[int, np.ndarray] = {}
        self._need: dict[int, np.ndarray] = {}
        # `best` only (0 = off, plain FGD): a shared-GPU task first of all takes a GPU it closes,
        # one left with less free milli than the smallest share any task asks for
        self.closing_below = 0

    def static_ok(self, model_bit: np.ndarray) -> np.ndarray:
        """Typical pods a node could ever host by GPU model; CPU-only typical pods never 'fit'."""
        model = (self.mask[None, :] == 0) | ((model_bit[:, None] & self.mask[None, :]) != 0)
        ok: np.ndarray = model & (self.k > 0)
        return ok

    def table(self, ok: np.ndarray) -> np.ndarray:
        """What one GPU with f free adds to a node's statistics, for nodes whose model allows `ok`.

        Columns: GPUs that could host each typical pod (NEVER where the model rules it out, so
        the node's sum stays negative), free milli too small for each, free milli.
        """
        count = np.where(ok, self.ge, NEVER)
        return np.concatenate([count, self.below, np.arange(MILLI + 1)[:, None]], axis=1)

    def delta(self, milli: int) -> np.ndarray:
        """Change of a node's (count | below | total) when one GPU with f free loses `milli`, by f."""
        if milli not in self._delta:
            f = np.arange(MILLI + 1)
            after = np.clip(f - milli, 0, None)
            self._delta[milli] = np.concatenate([self.ge[after] - self.ge[f], self.below[after] - self.below[f],
                                                 (after - f)[:, None]], axis=1)
        return self._delta[milli]

    def need(self, taken: int) -> np.ndarray:
        """GPU count each typical pod needs before `taken` whole GPUs go: count - taken >= k."""
        if taken not in self._need:
            self._need[taken] = self.k + taken
        return self._need[taken]

    def frag(self, cpu: np.ndarray, count: np.ndarray, below: np.ndarray, total: np.ndarray,
             need: np.ndarray | None = None) -> np.ndarray:
        """Weighted fragment; `count` is NEVER where the model rules a typical pod out."""
        fit = (cpu[..., None] >= self.cpu) & (count >= (self.k if need is None else need))
        frag: np.ndarray = np.where(fit, below, total[..., None]) @ self.weight
        return frag

    def score(self, before: np.ndarray, after: np.ndarray, scale: float | None = None) -> np.ndarray:
        x = (after - before) / (self.scale if scale is None else scale)
        np.exp(x, out=x)
        x += 1.0
        np.divide(100.0, x, out=x)
        score: np.ndarray = x.astype(np.int64)  # values in [0, 100]: the cast truncates like np.trunc
        return score


class Request(NamedTuple):
    need: np.ndarray  # compared with ClusterState.free
    cpu: int
    k: int
    milli: int
    mask: int  # GPU models allowed, 0 = any
    fractional: bool


class FGDScorer:
    """FGD scores of one task type on a set of nodes (-1 where it does not fit)."""

    # every node the task fits scores 0..100, so -1 means "does not fit", which lasts (no departures)
    monotone = True

    def __init__(self, typical: TypicalPods | FragmentationModel) -> None:
        # a model holds no cluster state, so seeds on the same workload can share one
        self.model = typical if isinstance(typical, FragmentationModel) else FragmentationModel(typical)
        self.state: ClusterState | None = None
        self._types: TaskTypes | None = None
        self._requests: dict[int, Request] = {}

    def _attach(self, state: ClusterState) -> None:
        fm, n, p = self.model, len(state), self.model.p
        self.state, self.synced = state, state.step
        # one table per distinct model mask of the typical pods a node could host
        ok_rows, self.kind = np.unique(fm.static_ok(state.model_bit), axis=0, return_inverse=True)
        self.kind = self.kind.reshape(-1, 1)
        self.tables = np.stack([fm.table(ok) for ok in ok_rows])
        # per node: count[p] | below[p] | total, as views of one array filled by one gather
        self.stats = np.zeros((n, 2 * p + 1), np.int64)
        self.count, self.below, self.total = self.stats[:, :p], self.stats[:, p:2 * p], self.stats[:, 2 * p]
        self.before = np.zeros(n, np.int64)
        self._refresh(np.arange(n))

    def _refresh(self, nodes: np.ndarray) -> None:
        """Recompute the per-node statistics of `nodes` (repeats are harmless)."""
        fm, state, p = self.model, self.state, self.model.p
        assert state is not None
        stats = self.tables[self.kind[nodes], state.gfree[nodes]].sum(1)
        self.stats[nodes] = stats
        self.before[nodes] = fm.frag(state.cpu[nodes], stats[:, :p], stats[:, p:2 * p], stats[:, 2 * p])

    def _request(self, types: TaskTypes, t: int) -> Request:
        if types is not self._types:
            self._types, self._requests = types, {}
        if t not in self._requests:
            cpu, mem, k, milli = (int(a[t]) for a in (types.cpu, types.mem, types.num_gpu, types.gpu_milli))
            fractional = k == 1 and milli < MILLI
            # against ClusterState.free: CPU, memory, fully free GPUs, the most free milli on one GPU
            need = np.array([cpu, mem, 0 if fractional else k, milli if fractional else 0], np.int64)
            self._requests[t] = Request(need, cpu, k, milli, int(types.spec_mask[t]) if k else 0, fractional)
        return self._requests[t]

    def _scored(self, state: ClusterState, idx: np.ndarray, types: TaskTypes,
                t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(the nodes of idx task type t fits, their scores, the GPUs a fractional task takes)."""
        if state is not self.state:
            self._attach(state)
        elif self.synced != state.step:
            self._refresh(state.log[self.synced:state.step])
            self.synced = state.step
        r = self._request(types, t)
        free = state.free[idx]
        ok = (free >= r.need).all(1)
        if r.mask:
            ok &= (state.model_bit[idx] & r.mask) != 0
        nodes = idx[ok]  # a node the task cannot fit on is not worth scoring
        if len(nodes) < len(idx):
            free = free[ok]
        if not len(nodes):
            return nodes, nodes, None
        if r.fractional:
            return (nodes, *self._fractional(nodes, free[:, 0] - r.cpu, r.milli))
        return nodes, self._whole(nodes, free[:, 0] - r.cpu, r.k), None

    def update(self, state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int,
               row: np.ndarray, gpu_row: np.ndarray, tie: np.ndarray) -> None:
        """Write key (score x n + tie; -1 where the task does not fit) and GPU of nodes idx into
        type t's rows; the GPU row is left alone for a task that takes whole GPUs."""
        nodes, score, gpu = self._scored(state, idx, types, t)
        if len(nodes) < len(idx):
            row[idx] = -1
        if len(nodes):
            row[nodes] = score * len(tie) + tie[nodes]
            if gpu is not None:
                gpu_row[nodes] = gpu

    def __call__(self, state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int) -> tuple[np.ndarray, np.ndarray]:
        score, gpu = np.full(len(state), -1, np.int64), np.zeros(len(state), np.int64)
        nodes, fitting, chosen = self._scored(state, idx, types, t)
        score[nodes] = fitting
        if chosen is not None:
            gpu[nodes] = chosen
        return score[idx], gpu[idx]

    def _whole(self, nodes: np.ndarray, cpu_after: np.ndarray, k: int) -> np.ndarray:
        # whole GPUs go from 1000 to 0 free: k fewer GPUs count for every typical pod, 'below' is unchanged
        fm, p = self.model, self.model.p
        stats = self.stats[nodes]
        after = fm.frag(cpu_after, stats[:, :p], stats[:, p:2 * p], stats[:, 2 * p] - k * MILLI, fm.need(k))
        return fm.score(self.before[nodes], after, fm.whole_scale)

    def _fractional(self, nodes: np.ndarray, cpu_after: np.ndarray, milli: int) -> tuple[np.ndarray, np.ndarray]:
        """Score each fitting GPU of each node, keep the top score per node (lowest GPU on ties).

        On many nodes at once, GPUs of one node with equal free milli are scored once: they score
        alike, and the first of them is the one the published "first GPU with the top score" keeps.
        """
        fm, state, p = self.model, self.state, self.model.p
        assert state is not None
        g = state.gfree[nodes]
        gfit = g >= milli
        if len(nodes) > DEDUPE_FROM:
            gfit &= ~((g[:, :, None] == g[:, None, :]) & fm.earlier[g.shape[1]]).any(2)
        at, col = np.nonzero(gfit)
        rows = nodes[at]
        stats = self.stats[rows] + fm.delta(milli)[g[at, col]]
        after = fm.frag(cpu_after[at], stats[:, :p], stats[:, p:2 * p], stats[:, 2 * p])
        per_gpu = np.full(g.shape, -1, np.int64)
        score = fm.score(self.before[rows], after)
        if fm.closing_below:  # above every FGD score (0..100): closing GPUs first, FGD among them
            score += CLOSING_BONUS * (g[at, col] - milli < fm.closing_below)
        per_gpu[at, col] = score
        return per_gpu.max(1), per_gpu.argmax(1)  # argmax: the first GPU with the top score
