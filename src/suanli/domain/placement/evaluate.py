"""One evaluation of many requests against all pools: feasibility codes, device counts in normalised
units, metrics, weighted costs — the shared engine under the single quote and the batch placement.

Everything is a (jobs x pools) NumPy array; Python objects (options, exclusions) are made only for
the cells someone reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from suanli.domain.placement.feasibility import CODES, Exclusion, PlacementRequest, PoolTable, first_reasons
from suanli.domain.placement.scoring import (
    COMPONENTS,
    WAN_GBIT_PER_S,
    Weights,
    component_costs,
    metrics,
    preset_weights,
    subsidy_matrix,
    weighted,
)
from suanli.domain.placement.units import DEFAULT_RATES, ExchangeRates
from suanli.domain.resources import CATALOGUE, Ecosystem
from suanli.domain.subsidy import NoSubsidy, SubsidyPolicy

_ALL = np.int64(-1)  # every bit set: "any ecosystem / any model"


@dataclass(frozen=True, slots=True)
class QuoteOption:
    """One feasible pool for a request, with every figure the ranking used."""

    pool_id: int
    center: str
    pool: str
    model: str
    ecosystem: str
    devices: int
    hours: float
    expected_start_h: float
    expected_finish_h: float
    list_price_fen: int
    subsidy_fen: int
    price_fen: int  # what the payer pays: list price minus subsidy
    energy_kwh: float
    green_share: float
    transfer_h: float
    center_load: float
    score: float  # 0..100, higher is better
    components: Mapping[str, float] = field(default_factory=dict)  # points lost to each component
    subsidy_program: str | None = None
    subsidy_reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__slots__}
        out["components"] = dict(self.components)
        out["subsidy_reasons"] = list(self.subsidy_reasons)
        return out


class Evaluation:
    def __init__(self, requests: Sequence[PlacementRequest], payers: Sequence[int], pt: PoolTable, *,
                 subsidy: SubsidyPolicy | None = None, rates: ExchangeRates = DEFAULT_RATES,
                 weights: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self.requests, self.pt, self.rates = requests, pt, rates
        self.payers = np.asarray(payers, dtype=np.int64)
        self.policy = subsidy or NoSubsidy()
        self._exclusions: dict[tuple[Any, ...], Exclusion] = {}
        presets = preset_weights(weights)
        self._build(presets)

    def _build(self, presets: dict[str, Weights]) -> None:
        rq, pt = self.requests, self.pt
        shape = (len(rq), len(pt))

        def col(f: Callable[[PlacementRequest], Any], dtype: DTypeLike) -> NDArray[Any]:
            return np.array([f(r) for r in rq], dtype=dtype)

        ecos, models = list(Ecosystem), list(CATALOGUE)
        eco_mask = col(lambda r: sum(1 << ecos.index(e) for e in r.ecosystems) or _ALL, np.int64)
        model_mask = col(lambda r: sum(1 << models.index(m) for m in r.models) or _ALL, np.int64)
        gang = col(lambda r: r.devices_per_node or 0, np.int64)
        devices, hours, unrated = self._amounts(gang)
        dpn_used = np.where(gang[:, None] > 0, gang[:, None], np.minimum(devices, pt.dpn))
        per_node_cpus = col(lambda r: r.cpus_per_device, np.int64)[:, None] * dpn_used
        per_node_mem = col(lambda r: r.memory_gb_per_device, np.int64)[:, None] * dpn_used
        nodes_needed = -(-devices // np.maximum(dpn_used, 1))
        checks = [
            ("center_unavailable", ~pt.available[None, :]),
            ("wrong_ecosystem", (eco_mask[:, None] & pt.eco_bit[None, :]) == 0),
            ("model_not_accepted", (model_mask[:, None] & pt.model_bit[None, :]) == 0),
            ("not_rated", unrated),
            ("too_little_memory", pt.memory_gb[None, :] < col(lambda r: r.min_device_memory_gb, np.int64)[:, None]),
            ("region_not_allowed", ~self._regions()),
            ("provider_not_designated", col(lambda r: r.designated_only, bool)[:, None] & ~pt.designated[None, :]),
            ("node_too_small", (gang[:, None] > pt.dpn) | (per_node_cpus > pt.cpus_per_node) | (per_node_mem > pt.mem_per_node)),
            ("not_enough_devices", (devices > pt.total) | (nodes_needed > pt.nodes)),
            ("too_many_nodes", nodes_needed > pt.max_nodes),
        ]
        static = first_reasons(checks, shape)
        transfer = self._transfer()
        subsidy = lambda lst: subsidy_matrix(self.policy, self.payers, pt, lst, static == 0)
        m = metrics(pt, devices, hours, transfer, subsidy)
        budget = col(lambda r: -1 if r.max_price_fen is None else r.max_price_fen, np.int64)
        deadline = col(lambda r: np.inf if r.deadline_hours is None else r.deadline_hours, np.float64)
        dynamic = first_reasons([
            ("over_budget", (budget[:, None] >= 0) & (m.pay_fen > budget[:, None])),
            ("no_capacity_before_deadline", m.finish_h > deadline[:, None] + 1e-9),
        ], shape)
        self.codes = np.where(static > 0, static, dynamic)
        self.devices, self.hours, self.metrics = devices, hours, m
        self.feasible = self.codes == 0
        weight_rows = np.stack([presets[r.prefer].vector() for r in rq]) if rq else np.zeros((0, len(COMPONENTS)))
        self.parts = weighted(component_costs(m, self.feasible), weight_rows)
        self.cost = np.where(self.feasible, self.parts.sum(axis=0), np.inf)

    def _amounts(self, gang: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Devices and runtime per (job, pool): requests in A100-equivalents or P become a device
        count of each pool's model, rounded up to the gang width, with the runtime scaled."""
        pt, rq = self.pt, self.requests
        rate = np.array([self.rates.equivalents_per_device(v.model) for v in pt.views], dtype=np.float64)
        fixed = np.array([r.devices or 0 for r in rq], dtype=np.int64)
        equiv = np.array([r.equivalents if r.equivalents is not None else
                          (self.rates.equivalents_of_pflops(r.pflops) if r.pflops is not None else 0.0) for r in rq])
        base_h = np.array([r.hours for r in rq], dtype=np.float64)[:, None]
        by_units = equiv[:, None] > 0
        safe_rate = np.where(rate > 0, rate, 1.0)[None, :]
        raw = np.maximum(np.ceil(equiv[:, None] / safe_rate - 1e-9), 1).astype(np.int64)
        width = np.maximum(gang, 1)[:, None]
        converted = -(-raw // width) * width
        devices = np.where(by_units, converted, fixed[:, None])
        hours = np.where(by_units, base_h * equiv[:, None] / (safe_rate * devices), base_h)
        unrated = by_units & (rate[None, :] <= 0)
        return devices, hours, unrated

    def _regions(self) -> np.ndarray:
        masks = {s: self.pt.region_mask(s) for s in {r.allowed_regions for r in self.requests}}
        if not self.requests:
            return np.zeros((0, len(self.pt)), dtype=bool)
        return np.stack([masks[r.allowed_regions] for r in self.requests])

    def _transfer(self) -> np.ndarray:
        cities = {c: i for i, c in enumerate(dict.fromkeys(self.pt.cities))}
        pool_city = np.array([cities[c] for c in self.pt.cities], dtype=np.int64)
        src = np.array([cities.get(r.input_city, -2) if r.input_city else -1 for r in self.requests], dtype=np.int64)
        gb = np.array([r.input_gb for r in self.requests], dtype=np.float64)
        remote = (src[:, None] != -1) & (src[:, None] != pool_city[None, :])
        return np.where(remote, gb[:, None] * 8 / (WAN_GBIT_PER_S * 3600), 0.0)

    # --- reading single cells -------------------------------------------------------------

    def ranked(self, j: int) -> np.ndarray:
        """Feasible pool indices for job j, best first (ties: lower price to pay, then pool order)."""
        cols = np.flatnonzero(self.feasible[j])
        order = np.lexsort((cols, self.metrics.pay_fen[j, cols], np.round(self.cost[j, cols], 9)))
        return cols[order]

    def option(self, j: int, p: int) -> QuoteOption:
        m, view = self.metrics, self.pt.views[p]
        return QuoteOption(
            pool_id=view.pool_id, center=view.center, pool=view.pool, model=view.model,
            ecosystem=self.pt.ecosystems[p], devices=int(self.devices[j, p]), hours=round(float(self.hours[j, p]), 4),
            expected_start_h=round(float(m.start_h[j, p]), 3), expected_finish_h=round(float(m.finish_h[j, p]), 3),
            list_price_fen=int(m.list_fen[j, p]), subsidy_fen=int(m.subsidy_fen[j, p]), price_fen=int(m.pay_fen[j, p]),
            energy_kwh=round(float(m.energy_kwh[j, p]), 2), green_share=view.green_share,
            transfer_h=round(float(m.transfer_h[j, p]), 3), center_load=round(float(m.load[j, p]), 3),
            score=round(100.0 * (1.0 - float(self.cost[j, p])), 2),
            components={c: round(100.0 * float(self.parts[k, j, p]), 2) for k, c in enumerate(COMPONENTS)},
        )

    def exclusion(self, j: int, p: int) -> Exclusion:
        """The reason pool p excludes job j. Exclusions are immutable and depend only on the few
        request fields their code reads, so equal ones are shared across the jobs of a batch."""
        code = CODES[int(self.codes[j, p]) - 1]
        key = (p, code, _CACHE_KEYS[code](self, j, p))
        found = self._exclusions.get(key)
        if found is None:
            view = self.pt.views[p]
            found = self._exclusions[key] = Exclusion(code, view.center, view.pool, exclusion_params(code, self, j, p))
        return found

    def exclusions(self, j: int) -> tuple[Exclusion, ...]:
        return tuple(self.exclusion(j, int(p)) for p in np.flatnonzero(self.codes[j]))


# What each exclusion's params depend on besides the pool (see exclusion_params).
_CACHE_KEYS: dict[str, Any] = {
    "center_unavailable": lambda ev, j, p: None,
    "provider_not_designated": lambda ev, j, p: None,
    "wrong_ecosystem": lambda ev, j, p: ev.requests[j].ecosystems,
    "model_not_accepted": lambda ev, j, p: ev.requests[j].models,
    "not_rated": lambda ev, j, p: None,
    "too_little_memory": lambda ev, j, p: ev.requests[j].min_device_memory_gb,
    "region_not_allowed": lambda ev, j, p: ev.requests[j].allowed_regions,
    "node_too_small": lambda ev, j, p: (ev.requests[j].devices_per_node, int(ev.devices[j, p]),
                                        ev.requests[j].cpus_per_device, ev.requests[j].memory_gb_per_device),
    "not_enough_devices": lambda ev, j, p: int(ev.devices[j, p]),
    "too_many_nodes": lambda ev, j, p: (int(ev.devices[j, p]), ev.requests[j].devices_per_node),
    "over_budget": lambda ev, j, p: (int(ev.metrics.pay_fen[j, p]), ev.requests[j].max_price_fen),
    "no_capacity_before_deadline": lambda ev, j, p: (round(float(ev.metrics.finish_h[j, p]), 2),
                                                     ev.requests[j].deadline_hours),
}


def exclusion_params(code: str, ev: Evaluation, j: int, p: int) -> dict[str, Any]:
    """The numbers behind an exclusion, for the templates in explain.py and for machines."""
    r, v, m = ev.requests[j], ev.pt.views[p], ev.metrics
    devices = int(ev.devices[j, p])
    match code:
        case "center_unavailable" | "provider_not_designated":
            return {"center": v.center}
        case "wrong_ecosystem":
            return {"ecosystem": ev.pt.ecosystems[p], "accepted": sorted(e.value for e in r.ecosystems)}
        case "model_not_accepted":
            return {"model": v.model, "accepted": sorted(r.models)}
        case "not_rated":
            return {"model": v.model}
        case "too_little_memory":
            return {"memory_gb": v.device_memory_gb, "required_gb": r.min_device_memory_gb}
        case "region_not_allowed":
            return {"city": v.city, "region": v.region, "allowed": sorted(r.allowed_regions)}
        case "node_too_small":
            width = r.devices_per_node or min(devices, v.devices_per_node)
            return {"devices_per_node": v.devices_per_node, "cpus_per_node": v.cpus_per_node,
                    "memory_gb_per_node": v.memory_gb_per_node, "needed_devices_per_node": width,
                    "needed_cpus": r.cpus_per_device * width, "needed_memory_gb": r.memory_gb_per_device * width}
        case "not_enough_devices":
            return {"required": devices, "total": v.total_devices}
        case "too_many_nodes":
            width = r.devices_per_node or min(devices, v.devices_per_node)
            return {"max_nodes": min(v.max_nodes or v.nodes, v.nodes), "needed_nodes": -(-devices // max(width, 1)),
                    "devices_per_node": width}
        case "over_budget":
            return {"price_fen": int(m.pay_fen[j, p]), "max_price_fen": r.max_price_fen}
        case "no_capacity_before_deadline":
            return {"expected_finish_h": round(float(m.finish_h[j, p]), 2), "deadline_h": r.deadline_hours}
    return {}
