"""Fragmentation Gradient Descent (FGD): place each task where it least increases the expected
GPU fragmentation, measured against the workload's typical-pod distribution.

A node's fragment for one typical pod (k GPUs of m milli, c milli-CPU) is the free milli on
GPUs with less than m free when the pod would fit there, and all free GPU milli otherwise
(CPU-only typical pods count all free GPU milli). Node fragmentation is the frequency-weighted
sum. We weight by integer counts, not float frequencies, so "no change" is exactly zero and
scores 50 like the published simulator; the score is 100 x sigmoid(delta / 1000), truncated.
A fractional task tries every fitting GPU and keeps the first with the top integer score.

Speed: per node we keep, for every typical pod, how many GPUs could host it and the free milli
on the others; a placement changes those by table look-ups indexed by a GPU's free milli, so
scoring a task is a handful of array operations on the few nodes that changed.
"""

from __future__ import annotations

import numpy as np

from suanli.sim.fill.data import MILLI
from suanli.sim.fill.scoring import fits
from suanli.sim.fill.state import ClusterState
from suanli.sim.fill.workload import TaskTypes, TypicalPods


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
        free = np.arange(MILLI + 1)[:, None]
        self.ge = (free >= self.milli).astype(np.int64)  # [free milli, typical pod]
        self.below = np.where(free >= self.milli, 0, free)
        self._delta: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._earlier: dict[int, np.ndarray] = {}

    def earlier(self, width: int) -> np.ndarray:
        """[j, i] is True when GPU i comes before GPU j on a node."""
        if width not in self._earlier:
            self._earlier[width] = np.tri(width, k=-1, dtype=bool)
        return self._earlier[width]

    def static_ok(self, model_bit: np.ndarray) -> np.ndarray:
        """Typical pods a node could ever host by GPU model; CPU-only typical pods never 'fit'."""
        model = (self.mask[None, :] == 0) | ((model_bit[:, None] & self.mask[None, :]) != 0)
        return model & (self.k > 0)

    def delta(self, milli: int) -> tuple[np.ndarray, np.ndarray]:
        """Change of (count, below) when one GPU with f free loses `milli`, indexed by f."""
        if milli not in self._delta:
            f = np.arange(MILLI + 1)
            after = np.clip(f - milli, 0, None)
            self._delta[milli] = (self.ge[after] - self.ge[f], self.below[after] - self.below[f])
        return self._delta[milli]

    def frag(self, cpu: np.ndarray, count: np.ndarray, below: np.ndarray, total: np.ndarray,
             ok: np.ndarray) -> np.ndarray:
        fit = (cpu[..., None] >= self.cpu) & (count >= self.k) & ok
        return np.where(fit, below, total[..., None]) @ self.weight

    def score(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        return np.trunc(100.0 / (1.0 + np.exp((after - before) / self.scale))).astype(np.int64)


class FGDScorer:
    def __init__(self, typical: TypicalPods) -> None:
        self.model = FragmentationModel(typical)
        self.stamp: np.ndarray | None = None

    def _refresh(self, state: ClusterState, idx: np.ndarray) -> None:
        """Recompute per-node typical-pod statistics for nodes changed since we last looked."""
        fm = self.model
        if self.stamp is None:
            n = len(state)
            self.stamp = np.full(n, -1, np.int64)
            self.ok = fm.static_ok(state.model_bit)
            self.count = np.zeros((n, len(fm.k)), np.int64)
            self.below = np.zeros_like(self.count)
            self.total = np.zeros(n, np.int64)
            self.before = np.zeros(n, np.int64)
        stale = idx[self.stamp[idx] != state.version[idx]]
        if len(stale):
            g = state.gfree[stale]
            self.count[stale] = fm.ge[g].sum(1)
            self.below[stale] = fm.below[g].sum(1)
            self.total[stale] = g.sum(1)
            self.before[stale] = fm.frag(state.cpu[stale], self.count[stale], self.below[stale],
                                         self.total[stale], self.ok[stale])
            self.stamp[stale] = state.version[stale]

    def __call__(self, state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int) -> tuple[np.ndarray, np.ndarray]:
        ok, gfit = fits(state, idx, types, t)
        score = np.full(len(idx), -1, np.int64)
        gpu = np.zeros(len(idx), np.int64)
        live = np.flatnonzero(ok)  # a node the task cannot fit on is not worth scoring
        if len(live):
            score[live], gpu[live] = self.raw(state, idx[live], types, t, gfit[live])
        return score, gpu

    def raw(self, state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int,
            gfit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integer FGD score of every node in idx and the GPU a fractional task takes there.

        Every node in idx must fit the task (`fits`): a fractional task needs a fitting GPU.
        """
        self._refresh(state, idx)
        fm = self.model
        cpu_after = state.cpu[idx] - types.cpu[t]
        k, milli = int(types.num_gpu[t]), int(types.gpu_milli[t])
        if k == 1 and milli < MILLI:
            return self._fractional(state, idx, cpu_after, milli, gfit)
        # whole GPUs go from 1000 to 0 free: k fewer GPUs count for every typical pod, 'below' is unchanged
        after = fm.frag(cpu_after, self.count[idx] - k, self.below[idx], self.total[idx] - k * MILLI, self.ok[idx])
        return fm.score(self.before[idx], after), np.zeros(len(idx), np.int64)

    def _fractional(self, state: ClusterState, idx: np.ndarray, cpu_after: np.ndarray, milli: int,
                    gfit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Score each fitting GPU once per distinct free milli on its node, keep the best per node.

        GPUs of one node with equal free milli score alike, and the first of them is the one the
        published "first GPU with the top score" keeps, so only first occurrences are scored.
        """
        fm = self.model
        g = state.gfree[idx]
        width = g.shape[1]
        repeat = ((g[:, :, None] == g[:, None, :]) & fm.earlier(width)).any(2)
        node, col = np.nonzero(gfit & ~repeat)  # row-major: grouped by node, GPUs in index order
        rows, free = idx[node], g[node, col]
        dc, db = fm.delta(milli)
        after = fm.frag(cpu_after[node], self.count[rows] + dc[free], self.below[rows] + db[free],
                        self.total[rows] - milli, self.ok[rows])
        # top score first, then the lowest GPU index, in one integer per candidate
        packed = fm.score(self.before[rows], after) * width + (width - 1 - col)
        best = np.maximum.reduceat(packed, np.searchsorted(node, np.arange(len(idx))))
        return best // width, width - 1 - best % width
