"""The fill-the-cluster experiment of the FGD paper, vectorised with NumPy.

`data` reads the openb node and pod lists, `workload` draws the seeded arrival sequence and
the typical-pod distribution, `state` holds the cluster as arrays, `scoring` and `fgd` score
every node for one task, `best` is the project's own policy, and `experiment` runs seeds and
reads the unallocated-GPU table off the arrivals.
"""

from __future__ import annotations

from suanli.sim.fill.experiment import POLICIES, FillResult, run_fill, run_seed

__all__ = ["POLICIES", "FillResult", "run_fill", "run_seed"]
