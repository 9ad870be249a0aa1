"""Feasibility and the baseline node scores of the FGD paper (Best-fit, Dot-product, GPU Packing,
GPU Clustering), vectorised over a set of nodes for one task type.

Each scorer returns `(score, gpu)` for the nodes `idx`: an integer score (-1 = does not fit)
and, for a fractional task, the GPU it would take. Scores are truncated to integers exactly as
the published simulator's Kubernetes plugins do; the truncation creates ties, and ties go to a
seeded node order, which matters for the published figures.
"""

from __future__ import annotations

import numpy as np

from suanli.sim.fill.data import MILLI
from suanli.sim.fill.state import AFFINITY_SLOTS, ClusterState
from suanli.sim.fill.workload import TaskTypes

MAX_CPU = 128_000.0  # normalisers of the published Best-fit / Dot-product scores
MAX_GPU = 8_000.0
BIG = np.int64(1 << 40)


def fits(state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int) -> tuple[np.ndarray, np.ndarray]:
    """(node fits, per-GPU fits) for task type t on nodes idx: CPU, memory, GPU model and GPU milli."""
    k, milli, mask = types.num_gpu[t], types.gpu_milli[t], types.spec_mask[t]
    ok = (state.cpu[idx] >= types.cpu[t]) & (state.mem[idx] >= types.mem[t])
    gfit = state.gfree[idx] >= max(milli, 1)
    if k:
        ok &= gfit.sum(axis=1) >= k
        if mask:
            ok &= (state.model_bit[idx] & mask) != 0
    return ok, gfit


def least_free_gpu(state: ClusterState, idx: np.ndarray, gfit: np.ndarray) -> np.ndarray:
    """The fitting GPU with the least free milli, lowest index on ties."""
    gpu: np.ndarray = np.argmin(np.where(gfit, state.gfree[idx], BIG), axis=1)
    return gpu


def _finish(ok: np.ndarray, score: np.ndarray, gpu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.where(ok, score, -1).astype(np.int64), gpu


def bestfit(state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int) -> tuple[np.ndarray, np.ndarray]:
    ok, gfit = fits(state, idx, types, t)
    req = types.num_gpu[t] * types.gpu_milli[t]
    left = (state.cpu[idx] - types.cpu[t]) / MAX_CPU * 0.5 + (state.gfree[idx].sum(1) - req) / MAX_GPU * 0.5
    return _finish(ok, np.trunc((1.0 - left) * 100.0), least_free_gpu(state, idx, gfit))


def dotprod(state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int) -> tuple[np.ndarray, np.ndarray]:
    ok, gfit = fits(state, idx, types, t)
    req = types.num_gpu[t] * types.gpu_milli[t]
    dot = (types.cpu[t] / MAX_CPU) * (state.cpu[idx] / MAX_CPU) + (req / MAX_GPU) * (state.gfree[idx].sum(1) / MAX_GPU)
    return _finish(ok, np.trunc((1.0 - dot / 2.0) * 100.0), least_free_gpu(state, idx, gfit))


def packing(state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int) -> tuple[np.ndarray, np.ndarray]:
    """GPU Packing: shared GPUs first, then free GPUs on used nodes, then idle nodes.

    CPU-only tasks score 0 everywhere, so they go to the first node in the seeded order.
    """
    ok, gfit = fits(state, idx, types, t)
    gpu = least_free_gpu(state, idx, gfit)
    k, milli = types.num_gpu[t], types.gpu_milli[t]
    if not k:
        return _finish(ok, np.zeros(len(idx)), gpu)
    gfree = state.gfree[idx]
    fully = (gfree == MILLI).sum(1)
    idle = fully == state.gcount[idx]
    case3 = np.maximum(100 // 3 - fully, fully)
    if milli < MILLI:
        chosen = gfree[np.arange(len(idx)), gpu]
        case1 = np.maximum(100 - (chosen * 100 // MILLI) // 10, 50)
        used = np.where(chosen == MILLI, np.maximum(100 // 2 - 1, 100 // 3), case1)
    else:
        used = np.full(len(idx), max(100 // 2 - k, 100 // 3))
    return _finish(ok, np.where(idle, case3, used), gpu)


def clustering(state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int) -> tuple[np.ndarray, np.ndarray]:
    """GPU Clustering: prefer nodes already running tasks of the same GPU shape, fuller first."""
    ok, gfit = fits(state, idx, types, t)
    gpu = least_free_gpu(state, idx, gfit)
    k, milli = types.num_gpu[t], types.gpu_milli[t]
    if not k:
        return _finish(ok, np.zeros(len(idx)), gpu)
    slot = 0 if milli < MILLI else min(int(k), AFFINITY_SLOTS - 1)
    aff = state.affinity[idx]
    kinds = (aff > 0).sum(1)
    fill = 25 * (int(MAX_GPU) - state.gfree[idx].sum(1)) // int(MAX_GPU)
    bonus = np.where(aff[:, slot] > 0, np.where(kinds == 1, 75, 50), np.where(kinds == 0, 25, 0))
    return _finish(ok, fill + bonus, gpu)


def feasible_only(state: ClusterState, idx: np.ndarray, types: TaskTypes, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Random-fit caches only feasibility; the node and GPU are drawn at placement."""
    ok, _ = fits(state, idx, types, t)
    return _finish(ok, np.zeros(len(idx)), np.zeros(len(idx), np.int64))
