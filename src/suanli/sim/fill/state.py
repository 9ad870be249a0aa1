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
        # what a request is checked against, in one array so one comparison checks it:
        # milli-CPU | memory MiB | fully free GPUs | the most free milli on one GPU
        self.free = np.stack([nodes.cpu, nodes.mem, nodes.gpus, np.where(nodes.gpus > 0, MILLI, 0)], axis=1)
        self.cpu, self.mem, self.full, self.largest = (self.free[:, i] for i in range(4))
        self.gcount = nodes.gpus.copy()
        self.model_bit = nodes.model_bit.copy()
        self.gfree = np.where(np.arange(width)[None, :] < nodes.gpus[:, None], MILLI, 0).astype(np.int64)
        self.affinity = np.zeros((n, AFFINITY_SLOTS), np.int64)
        self.version = np.zeros(n, np.int64)
        self.log = np.zeros(4096, np.int64)
        self.step = 0
        self.allocated_milli = 0
        self.capacity_milli = nodes.total_gpu_milli

    def set_gpus(self, node: int, free_milli: list[int]) -> None:
        """Set a node's free milli per GPU by hand (tests, tools); a fill run changes GPUs by `place`."""
        gpus = self.gfree[node]
        gpus[:len(free_milli)] = free_milli
        self.full[node], self.largest[node] = (gpus == MILLI).sum(), gpus.max()
        self._changed(node)

    def __len__(self) -> int:
        return len(self.cpu)

    def place(self, node: int, types: TaskTypes, t: int, gpu: int) -> None:
        """Bind one task of type t to `node`; `gpu` is the chosen GPU for a fractional task."""
        k, milli = int(types.num_gpu[t]), int(types.gpu_milli[t])
        self.cpu[node] -= types.cpu[t]
        self.mem[node] -= types.mem[t]
        gpus = self.gfree[node]
        if k == 1 and milli < MILLI:
            self.full[node] -= gpus[gpu] == MILLI
            gpus[gpu] -= milli
            self.largest[node] = gpus.max()
            self.affinity[node, 0] += 1
        elif k:
            # whole GPUs: the lowest-index fully free ones, as the published simulator does
            gpus[np.flatnonzero(gpus == MILLI)[:k]] = 0
            self.full[node] -= k
            self.largest[node] = gpus.max()
            self.affinity[node, min(k, AFFINITY_SLOTS - 1)] += 1
        self.allocated_milli += k * milli
        self._changed(node)

    def _changed(self, node: int) -> None:
        if self.step == len(self.log):
            self.log = np.concatenate([self.log, np.zeros_like(self.log)])
        self.log[self.step] = node
        self.step += 1
        self.version[node] = self.step
