"""Batch placement (批量匹配): pending jobs are placed jointly each cycle.

Each job's best option is found as in a single quote. Where the jobs that prefer a pool fit in its
free devices, they are placed there at once (the fast path: batch and greedy agree). Only the jobs
whose favourite pool is over-subscribed go to a joint optimisation: a generalised assignment
solved with HiGHS over *job classes* — jobs with identical cost and size rows are interchangeable,
so the model has one integer variable per (class, pool) instead of per (job, pool). Jobs that find
no room are deferred to the next cycle, and within a class places go to organisations round-robin,
those using the fewest devices first (fairness between organisations).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from suanli.domain.placement.evaluate import Evaluation, QuoteOption
from suanli.domain.placement.explain import explained
from suanli.domain.placement.feasibility import CODE_INDEX, Exclusion, PlacementRequest, PoolTable, PoolView
from suanli.domain.placement.solver import solve_assignment
from suanli.domain.placement.units import DEFAULT_RATES, ExchangeRates
from suanli.domain.subsidy import SubsidyPolicy

RANKED_KEPT = 5  # options remembered per job for failover
FAIRNESS_LEVELS = 4  # organisations are grouped into this many usage bands
CANDIDATES = 12  # pools per contended job in the joint solve


@dataclass(frozen=True, slots=True)
class PendingJob:
    key: Hashable
    organisation_id: int
    request: PlacementRequest


@dataclass(frozen=True, slots=True)
class Decision:
    """What the broker decided for one job, with everything needed to explain it."""

    key: Hashable
    outcome: str  # placed | deferred | infeasible
    option: QuoteOption | None  # the chosen option; for a deferred job, its best option
    ranked: tuple[int, ...]  # pool ids, best first (the chosen one first when placed)
    excluded: tuple[Exclusion, ...]
    reason: str | None = None  # awaiting_capacity | no_feasible_pool

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "reason": self.reason,
                "option": self.option.as_dict() if self.option else None, "ranked": list(self.ranked),
                "excluded": [explained(e) for e in self.excluded]}


@dataclass(slots=True)
class BatchResult:
    decisions: list[Decision]
    contended_pools: list[int] = field(default_factory=list)  # pool ids
    contended_jobs: int = 0
    classes: int = 0
    solver: str = "fast-path"

    def placed(self) -> dict[Hashable, int]:
        return {d.key: d.option.pool_id for d in self.decisions if d.outcome == "placed" and d.option}


def best_columns(ev: Evaluation) -> np.ndarray:
    """Each job's best feasible pool index (-1 if none), with the same tie-breaks as a quote's
    ranking: lowest cost, then lowest price to pay, then pool order."""
    cost = np.round(ev.cost, 9)
    top = cost == cost.min(axis=1, keepdims=True)
    pay = np.where(top, ev.metrics.pay_fen, np.iinfo(np.int64).max)
    top &= pay == pay.min(axis=1, keepdims=True)
    return np.where(ev.feasible.any(axis=1), np.argmax(top, axis=1), -1)


def place_batch(jobs: Sequence[PendingJob], pools: Sequence[PoolView] | PoolTable, *,
                subsidy: SubsidyPolicy | None = None, rates: ExchangeRates = DEFAULT_RATES,
                weights: Mapping[str, Mapping[str, float]] | None = None,
                usage_by_organisation: Mapping[int, int] | None = None,
                time_limit_s: float = 5.0) -> BatchResult:
    """Place `jobs` (oldest first) into the pools' free devices. `usage_by_organisation` is each
    organisation's devices in use now, for fairness."""
    table = pools if isinstance(pools, PoolTable) else PoolTable(pools)
    ev = Evaluation([j.request for j in jobs], [j.organisation_id for j in jobs], table,
                    subsidy=subsidy, rates=rates, weights=weights)
    best = best_columns(ev)
    rows = np.arange(len(jobs))
    need = np.where(best >= 0, ev.devices[rows, np.maximum(best, 0)], 0)
    demand = np.bincount(best[best >= 0], weights=need[best >= 0], minlength=len(table))
    contended_pool = demand > table.free
    chosen = np.where((best >= 0) & ~contended_pool[np.maximum(best, 0)], best, -1)
    result = BatchResult([], contended_pools=[table.views[p].pool_id for p in np.flatnonzero(contended_pool)])
    contended = np.flatnonzero((best >= 0) & contended_pool[np.maximum(best, 0)])
    if contended.size:
        residual = table.free - np.bincount(chosen[chosen >= 0], weights=need[chosen >= 0], minlength=len(table))
        usage = _usage(jobs, chosen, need, usage_by_organisation or {})
        _solve_contended(ev, jobs, contended, residual, usage, chosen, result, time_limit_s)
    result.decisions = _decisions(ev, jobs, chosen)
    return result


def _usage(jobs: Sequence[PendingJob], chosen: np.ndarray, need: np.ndarray, usage: Mapping[int, int]) -> dict[int, float]:
    out = {int(k): float(v) for k, v in usage.items()}
    for j in np.flatnonzero(chosen >= 0):
        org = jobs[int(j)].organisation_id
        out[org] = out.get(org, 0.0) + float(need[j])
    return out


def _solve_contended(ev: Evaluation, jobs: Sequence[PendingJob], contended: np.ndarray, residual: np.ndarray,
                     usage: dict[int, float], chosen: np.ndarray, result: BatchResult, time_limit_s: float) -> None:
    """Jointly assign the contended jobs to residual capacity (see the module docstring)."""
    sub_cost = np.where(ev.devices[contended] <= residual[None, :], ev.cost[contended], np.inf)
    # Each job competes for its CANDIDATES best pools with room: keeps the model small, and a job
    # pushed past its twelfth choice is better deferred than sent somewhere it scores poorly.
    if sub_cost.shape[1] > CANDIDATES:
        cutoff = np.partition(sub_cost, CANDIDATES - 1, axis=1)[:, CANDIDATES - 1:CANDIDATES]
        sub_cost = np.where(sub_cost <= cutoff, sub_cost, np.inf)
    sub_dev = ev.devices[contended]
    band = _fairness_band(jobs, contended, usage)
    smallest = np.where(np.isfinite(sub_cost), sub_dev, np.iinfo(np.int64).max).min(axis=1)
    # Deferring costs more than any placement (costs are in [0, 1]); bigger jobs and organisations
    # with less in use weigh more, so the solver does not starve them for many small jobs.
    penalty = (2.0 + np.log2(np.maximum(np.where(smallest < 2**62, smallest, 1), 1))) * (1.0 + band / FAIRNESS_LEVELS)
    keys = np.concatenate([np.round(np.where(np.isfinite(sub_cost), sub_cost, -1.0), 9), sub_dev.astype(np.float64),
                           penalty[:, None]], axis=1)
    _, first, inverse, counts = np.unique(keys, axis=0, return_index=True, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    counts_placed, solver = solve_assignment(sub_cost[first], sub_dev[first], residual.astype(np.float64),
                                             counts, penalty[first], time_limit_s=time_limit_s)
    result.solver, result.classes, result.contended_jobs = solver, len(first), int(contended.size)
    for c in range(len(first)):
        members = contended[inverse == c]
        members = _fair_order(members, jobs, usage)
        slots = [p for p in np.argsort(sub_cost[first[c]], kind="stable") for _ in range(int(counts_placed[c, p]))]
        for j, p in zip(members, slots, strict=False):
            chosen[j] = p
            org = jobs[j].organisation_id
            usage[org] = usage.get(org, 0.0) + float(ev.devices[j, p])


def _fairness_band(jobs: Sequence[PendingJob], rows: np.ndarray, usage: Mapping[int, float]) -> np.ndarray:
    """0 for the organisations using the most devices .. FAIRNESS_LEVELS-1 for those using least."""
    top = max(usage.values(), default=0.0) or 1.0
    used = np.array([usage.get(jobs[j].organisation_id, 0.0) for j in rows])
    return np.minimum(FAIRNESS_LEVELS - 1, np.floor((1.0 - used / top) * FAIRNESS_LEVELS)).astype(np.float64)


def _fair_order(members: np.ndarray, jobs: Sequence[PendingJob], usage: Mapping[int, float]) -> list[int]:
    """Round-robin across organisations, the least-served first; oldest job first within one."""
    seen: dict[int, int] = {}
    keyed = []
    for j in members:
        org = jobs[j].organisation_id
        turn = seen.get(org, 0)
        seen[org] = turn + 1
        keyed.append((turn, usage.get(org, 0.0), int(j)))
    return [j for _, _, j in sorted(keyed)]


def _decisions(ev: Evaluation, jobs: Sequence[PendingJob], chosen: np.ndarray) -> list[Decision]:
    order = np.argsort(np.round(ev.cost, 9), axis=1, kind="stable")[:, :RANKED_KEPT]
    ids = np.array([v.pool_id for v in ev.pt.views], dtype=np.int64)
    memo: dict[tuple[Any, ...], tuple[Exclusion, ...]] = {}
    dynamic = CODE_INDEX["over_budget"]
    out = []
    for j, job in enumerate(jobs):
        row = ev.codes[j]
        # Static reasons depend on the request's shape only, so jobs of one shape share them;
        # budget and deadline reasons also depend on price and timing: keyed by the whole request.
        shape = job.request if (row >= dynamic).any() else _shape(job.request)
        key = (shape, row.tobytes(), job.organisation_id if shape is job.request else None)
        excluded = memo.get(key)
        if excluded is None:
            excluded = memo[key] = ev.exclusions(j)
        feasible = [int(p) for p in order[j] if ev.feasible[j, p]]
        if chosen[j] >= 0:
            p = int(chosen[j])
            ranked = (int(ids[p]),) + tuple(int(ids[q]) for q in feasible if q != p)
            out.append(Decision(job.key, "placed", ev.option(j, p), ranked[:RANKED_KEPT], excluded))
        elif feasible:
            out.append(Decision(job.key, "deferred", ev.option(j, feasible[0]), tuple(int(ids[q]) for q in feasible),
                                excluded, "awaiting_capacity"))
        else:
            out.append(Decision(job.key, "infeasible", None, (), excluded, "no_feasible_pool"))
    return out


def _shape(r: PlacementRequest) -> tuple[Any, ...]:
    """The request fields static exclusions read (see evaluate._CACHE_KEYS)."""
    return (r.devices, r.equivalents, r.pflops, r.ecosystems, r.models, r.min_device_memory_gb, r.devices_per_node,
            r.cpus_per_device, r.memory_gb_per_device, r.allowed_regions)
