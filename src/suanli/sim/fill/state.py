"""The cluster during a fill run: free CPU, memory and per-GPU milli as NumPy arrays.

GPU rows are padded to the largest node with zero-free phantom GPUs, which never fit a
request and add nothing to any sum, so every score can be computed on a rectangular array.
`version[n]` is the step at which node n last changed and `log[s - 1]` the node changed at
step s; per-type score caches use them to recompute only the nodes touched since the type was
last scored (a short stretch of the log is cheaper to read than a scan of every node).
"""

from __future__ import annotations

import numpy as np

from suanli.sim.fill.data import MILLI, NodeList
from suanli.sim.fill.workload import TaskTypes

AFFINITY_SLOTS = 9  # 0 = shared GPU, k = whole k-GPU tasks (k <= 8)


class ClusterState:
    def __init__(self, nodes: NodeList) -> None:
        n, width = len(nodes.names), max(int(nodes.gpus.max()), 1)
        self.cpu = nodes.cpu.copy()
        self.mem = nodes.mem.copy()
        self.gcount = nodes.gpus.copy()
        self.model_bit = nodes.model_bit.copy()
        self.gfree = np.where(np.arange(width)[None, :] < nodes.gpus[:, None], MILLI, 0).astype(np.int64)
        self.affinity = np.zeros((n, AFFINITY_SLOTS), np.int64)
        self.version = np.zeros(n, np.int64)
        self.log = np.zeros(4096, np.int64)
        self.step = 0
        self.allocated_milli = 0
        self.capacity_milli = nodes.total_gpu_milli

    def __len__(self) -> int:
        return len(self.cpu)

    def place(self, node: int, types: TaskTypes, t: int, gpu: int) -> None:
        """Bind one task of type t to `node`; `gpu` is the chosen GPU for a fractional task."""
        k, milli = int(types.num_gpu[t]), int(types.gpu_milli[t])
        self.cpu[node] -= types.cpu[t]
        self.mem[node] -= types.mem[t]
        if k == 1 and milli < MILLI:
            self.gfree[node, gpu] -= milli
            self.affinity[node, 0] += 1
        elif k:
            # whole GPUs: the lowest-index fully free ones, as the published simulator does
            free = np.flatnonzero(self.gfree[node] == MILLI)[:k]
            self.gfree[node, free] = 0
            self.affinity[node, min(k, AFFINITY_SLOTS - 1)] += 1
        self.allocated_milli += k * milli
        if self.step == len(self.log):
            self.log = np.concatenate([self.log, np.zeros_like(self.log)])
        self.log[self.step] = node
        self.step += 1
        self.version[node] = self.step
