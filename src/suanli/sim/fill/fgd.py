"""Fragmentation Gradient Descent (FGD): place each task where it least increases the expected
GPU fragmentation, measured against the workload's typical-pod distribution.

A node's fragment for one typical pod (k GPUs of m milli, c milli-CPU) is the free milli on
GPUs with less than m free when the pod would fit there, and all free GPU milli otherwise
(CPU-only typical pods count all free GPU milli). Node fragmentation is the frequency-weighted
sum. We weight by integer counts, not float frequencies, so "no change" is exactly zero and
scores 50 like the published simulator; the score is 100 x sigmoid(delta / 1000), truncated.
A fractional task tries every fitting GPU and keeps the first with the top integer score.
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
        self.scale = float(self.weight.sum())
        self.gpu_pods = self.k > 0

    def model_ok(self, model_bit: np.ndarray) -> np.ndarray:
        return (self.mask[None, :] == 0) | ((model_bit[:, None] & self.mask[None, :]) != 0)

    def combine(self, fit: np.ndarray, below: np.ndarray, total: np.ndarray) -> np.ndarray:
        """Weighted fragment from per-typical-pod fit flags, 'free below m' sums and total free."""
        frag = np.where(fit, below, total[..., None])
        return (frag * self.weight).sum(-1)

    def of(self, cpu: np.ndarray, gfree: np.ndarray, model_ok: np.ndarray) -> np.ndarray:
        ge = gfree[:, :, None] >= self.milli
        count = ge.sum(1)
        below = np.where(ge, 0, gfree[:, :, None]).sum(1)
        fit = (cpu[:, None] >= self.cpu) & (count >= self.k) & model_ok & self.gpu_pods
        return self.combine(fit, below, gfree.sum(1))

    def score(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        delta = (before - after) / self.scale / 1000.0
        return np.trunc(100.0 / (1.0 + np.exp(-delta))).astype(np.int64)


class FGDScorer:
    def __init__(self, typical: TypicalPods) -> None:
        self.model = FragmentationModel(typical)

    def __call__(self, state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int) -> tuple[np.ndarray, np.ndarray]:
        ok, gfit = fits(state, idx, types, t)
        scores, gpu = self.raw(state, idx, types, t, gfit)
        return np.where(ok, scores, -1), gpu

    def raw(self, state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int,
            gfit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fm = self.model
        cpu, gfree = state.cpu[idx], state.gfree[idx]
        model_ok = fm.model_ok(state.model_bit[idx])
        before = fm.of(cpu, gfree, model_ok)
        cpu_after = cpu - types.cpu[t]
        k, milli = int(types.num_gpu[t]), int(types.gpu_milli[t])
        if k == 1 and milli < MILLI:
            return self._fractional(fm, before, cpu_after, gfree, model_ok, milli, gfit)
        full = gfree == MILLI
        take = full & (np.cumsum(full, axis=1) <= k)
        after = fm.of(cpu_after, np.where(take, 0, gfree), model_ok)
        return fm.score(before, after), np.zeros(len(idx), np.int64)

    @staticmethod
    def _fractional(fm: FragmentationModel, before: np.ndarray, cpu_after: np.ndarray, gfree: np.ndarray,
                    model_ok: np.ndarray, milli: int, gfit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Only GPU j changes (f -> f - milli): update the per-typical-pod counts and sums by delta.
        f = gfree[:, :, None]
        f2 = f - milli
        ge, ge2 = f >= fm.milli, f2 >= fm.milli
        count = ge.sum(1)[:, None, :] - ge + ge2
        below = np.where(ge, 0, f).sum(1)[:, None, :] - np.where(ge, 0, f) + np.where(ge2, 0, f2)
        fit = ((cpu_after[:, None, None] >= fm.cpu) & (count >= fm.k) & model_ok[:, None, :] & fm.gpu_pods)
        total = gfree.sum(1)[:, None] - milli
        after = fm.combine(fit, below, np.broadcast_to(total, gfree.shape))
        per_gpu = np.where(gfit, fm.score(before[:, None], after), -1)
        best = np.argmax(per_gpu, axis=1)  # first GPU with the top integer score
        return per_gpu[np.arange(len(best)), best], best
