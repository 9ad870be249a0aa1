"""The single quote (报价): every feasible pool ranked for one request, every other pool with its one
reason, or — when nothing fits — a 422 naming the closest alternatives.

Greedy in the sense that it ranks against the federation as it is now, ignoring other pending jobs;
the batch placement (batch.py) is what reconciles competing jobs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from suanli.domain.placement.errors import NoFeasiblePlacement
from suanli.domain.placement.evaluate import Evaluation, QuoteOption
from suanli.domain.placement.explain import explained, suggest
from suanli.domain.placement.feasibility import CODE_INDEX, Exclusion, PlacementRequest, PoolTable, PoolView
from suanli.domain.placement.units import DEFAULT_RATES, ExchangeRates
from suanli.domain.subsidy import SubsidyPolicy

MAX_ALTERNATIVES = 3


@dataclass(frozen=True, slots=True)
class Quote:
    request: PlacementRequest
    options: tuple[QuoteOption, ...]  # best first
    excluded: tuple[Exclusion, ...]

    @property
    def best(self) -> QuoteOption:
        return self.options[0]

    def as_dict(self) -> dict[str, Any]:
        return {"options": [o.as_dict() for o in self.options], "excluded": [explained(e) for e in self.excluded]}


def quote(request: PlacementRequest, pools: Sequence[PoolView] | PoolTable, *, payer: int = 0,
          subsidy: SubsidyPolicy | None = None, rates: ExchangeRates = DEFAULT_RATES,
          weights: Mapping[str, Mapping[str, float]] | None = None,
          blocked: Mapping[int, str] | None = None) -> Quote:
    """Rank the pools for one request. `blocked` pools (id -> why) are excluded with code `blocked`."""
    table = pools if isinstance(pools, PoolTable) else PoolTable(pools)
    ev = Evaluation([request], [payer], table, subsidy=subsidy, rates=rates, weights=weights)
    blocked = blocked or {}
    options, excluded = [], list(ev.exclusions(0))
    for p in ev.ranked(0):
        view = table.views[int(p)]
        if view.pool_id in blocked:
            excluded.append(Exclusion("blocked", view.center, view.pool, {"reason": blocked[view.pool_id]}))
            continue
        options.append(_with_subsidy_reasons(ev.option(0, int(p)), ev, payer))
    if not options:
        raise no_feasible_placement(ev, excluded)
    return Quote(request, tuple(options), tuple(excluded))


def _with_subsidy_reasons(option: QuoteOption, ev: Evaluation, payer: int) -> QuoteOption:
    if option.subsidy_fen == 0 and type(ev.policy).__name__ == "NoSubsidy":
        return option
    estimate = ev.policy.estimate(organisation_id=payer, center=option.center, pool=option.pool,
                                  list_price_fen=option.list_price_fen)
    return replace(option, subsidy_program=estimate.program, subsidy_reasons=tuple(estimate.reasons))


def no_feasible_placement(ev: Evaluation, excluded: Sequence[Exclusion]) -> NoFeasiblePlacement:
    """The 422 for a request no pool can take: counts per reason and the closest alternatives —
    the pools that passed the most checks, each with the change that would admit it."""
    counts = Counter(e.code for e in excluded)
    closest = sorted(excluded, key=lambda e: (-CODE_INDEX.get(e.code, len(CODE_INDEX) + 1),
                                              -int(e.params.get("total", 0)), e.center, e.pool))
    alternatives = [{**explained(e), "suggestion": suggest(e)} for e in closest[:MAX_ALTERNATIVES]]
    detail = "no pool can run this request: " + ", ".join(f"{n} {code}" for code, n in counts.most_common())
    largest = _largest_accepting_pool(ev)
    if counts.get("not_enough_devices") and largest is not None:
        detail += f"; the largest pool of an accepted kind has {largest} devices"
    return NoFeasiblePlacement(detail, excluded_by_reason=dict(counts), alternatives=alternatives)


def _largest_accepting_pool(ev: Evaluation) -> int | None:
    """Largest pool passing every check before the size check, i.e. of a kind the job accepts."""
    ok = ev.codes[0] >= CODE_INDEX["not_enough_devices"]
    return int(ev.pt.total[ok].max()) if np.any(ok) else None


def place_sequentially(requests: Sequence[tuple[PlacementRequest, int]], pools: Sequence[PoolView] | PoolTable, *,
                       subsidy: SubsidyPolicy | None = None, rates: ExchangeRates = DEFAULT_RATES,
                       weights: Mapping[str, Mapping[str, float]] | None = None) -> list[int | None]:
    """The greedy baseline: first come, first served, each (request, payer) takes its best-ranked
    pool that still has the free devices; None when none has. What batch placement is measured against."""
    table = pools if isinstance(pools, PoolTable) else PoolTable(pools)
    ev = Evaluation([r for r, _ in requests], [payer for _, payer in requests], table,
                    subsidy=subsidy, rates=rates, weights=weights)
    free = table.free.copy()
    out: list[int | None] = []
    for j in range(len(requests)):
        pick = next((int(p) for p in ev.ranked(j) if ev.devices[j, p] <= free[p]), None)
        if pick is not None:
            free[pick] -= ev.devices[j, pick]
        out.append(None if pick is None else table.views[pick].pool_id)
    return out
