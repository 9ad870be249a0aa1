"""The broker (算力匹配): where should a job run, and why.

`feasibility` decides which pools could take a request (and the one reason for each that cannot),
`units` converts A100-equivalents and P into device counts, `scoring` prices and ranks options after
subsidy, `greedy.quote` answers a single quote, `batch.place_batch` places a cycle's pending jobs
jointly, `failover.next_option` moves a rejected job on, and `explain` renders reasons in zh/en.
Pure: no I/O, so the whole broker can be benchmarked alone.
"""

from suanli.domain.placement.batch import BatchResult, Decision, PendingJob, place_batch
from suanli.domain.placement.errors import ConflictingConstraints, NoFeasiblePlacement
from suanli.domain.placement.evaluate import QuoteOption
from suanli.domain.placement.explain import render, render_exclusion
from suanli.domain.placement.failover import block, next_option
from suanli.domain.placement.feasibility import CODES, Exclusion, PlacementRequest, PoolTable, PoolView
from suanli.domain.placement.greedy import Quote, quote
from suanli.domain.placement.scoring import PRESETS, Weights
from suanli.domain.placement.units import DEFAULT_RATES, ExchangeRates

__all__ = [
    "CODES", "DEFAULT_RATES", "PRESETS", "BatchResult", "ConflictingConstraints", "Decision", "ExchangeRates",
    "Exclusion", "NoFeasiblePlacement", "PendingJob", "PlacementRequest", "PoolTable", "PoolView", "Quote",
    "QuoteOption", "Weights", "block", "next_option", "place_batch", "quote", "render", "render_exclusion",
]
