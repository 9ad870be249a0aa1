"""Feasibility (可行性): which pools could run a request at all, and for each one that cannot, the ONE
reason why.

A `PoolView` is what the broker knows about a pool right now; a `PlacementRequest` is what a job
needs. Checks run in a fixed order and the first that fails is the pool's reason, so every excluded
pool carries exactly one `Exclusion` (a code plus the numbers behind it). The checks are written over
NumPy arrays (jobs x pools) so one code path serves a single quote and a batch of 10,000 jobs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from suanli.domain.errors import InvalidResourceRequest
from suanli.domain.placement.errors import ConflictingConstraints
from suanli.domain.resources import CATALOGUE, MAX_DEVICES_PER_JOB, Ecosystem, accelerator

# Exclusion codes in checking order: a pool's reason is the first of these that applies.
CODES: tuple[str, ...] = (
    "center_unavailable",
    "wrong_ecosystem",
    "model_not_accepted",
    "not_rated",  # asked in A100-equivalents or P, but the model has no FP16 rating (CPU)
    "too_little_memory",
    "region_not_allowed",
    "provider_not_designated",
    "node_too_small",
    "not_enough_devices",
    "too_many_nodes",  # the gang needs more nodes than the pool lets one job span (max_nodes)
    "over_budget",
    "no_capacity_before_deadline",
)
CODE_INDEX = {code: i + 1 for i, code in enumerate(CODES)}  # 0 = feasible
PRESETS = ("cheapest", "fastest", "greenest", "balanced")


@dataclass(frozen=True, slots=True)
class PoolView:
    """One pool as the broker sees it at quote time."""

    pool_id: int
    center: str
    pool: str
    model: str
    devices_per_node: int
    nodes: int
    price_fen_per_device_hour: int
    free_devices: int
    cpus_per_node: int = 64
    memory_gb_per_node: int = 512
    queued_device_hours: float = 0.0  # work already waiting for this pool
    mean_remaining_hours: float = 4.0  # how soon running work frees devices, on average
    green_share: float = 0.0
    city: str = ""
    region: str = ""
    designated: bool = False  # the voucher program designates this center (指定算力供给方)
    available: bool = True  # the center's backend answers
    max_nodes: int | None = None  # how many nodes one job may span here; None: all `nodes`

    @property
    def ecosystem(self) -> Ecosystem:
        return accelerator(self.model).ecosystem

    @property
    def device_memory_gb(self) -> int:
        return accelerator(self.model).memory_gb

    @property
    def total_devices(self) -> int:
        return self.nodes * self.devices_per_node


@dataclass(frozen=True, slots=True)
class PlacementRequest:
    """What a job needs. Exactly one of `devices`, `equivalents` (A100-equivalents) or `pflops`.

    `hours` is the runtime on the amount asked; `deadline_hours` counts from now; `max_price_fen`
    bounds the whole job's price after subsidy; `devices_per_node` fixes the gang's shape per node.
    """

    devices: int | None = None
    equivalents: float | None = None
    pflops: float | None = None
    ecosystems: frozenset[Ecosystem] = field(default_factory=frozenset)
    models: frozenset[str] = field(default_factory=frozenset)
    min_device_memory_gb: int = 0
    devices_per_node: int | None = None
    cpus_per_device: int = 1
    memory_gb_per_device: int = 0
    hours: float = 1.0
    deadline_hours: float | None = None
    max_price_fen: int | None = None
    allowed_regions: frozenset[str] = field(default_factory=frozenset)
    designated_only: bool = False
    input_city: str | None = None
    input_gb: float = 0.0
    prefer: str = "balanced"

    def __post_init__(self) -> None:
        asked = [n for n in ("devices", "equivalents", "pflops") if getattr(self, n) is not None]
        if len(asked) != 1:
            raise InvalidResourceRequest("give exactly one of devices, equivalents or pflops", given=asked)
        amount = float(getattr(self, asked[0]))
        if not 0 < amount <= MAX_DEVICES_PER_JOB or (self.devices is not None and self.devices != int(self.devices)):
            raise InvalidResourceRequest(f"{asked[0]} must be a positive number up to {MAX_DEVICES_PER_JOB}")
        for model in self.models:
            accelerator(model)
        if self.prefer not in PRESETS:
            raise InvalidResourceRequest(f"unknown preference {self.prefer!r}; known: {', '.join(PRESETS)}")
        if not (0 < self.hours <= 24 * 365 and math.isfinite(self.hours)):
            raise InvalidResourceRequest("hours must be positive and at most a year")
        if self.min_device_memory_gb < 0 or self.cpus_per_device < 0 or self.memory_gb_per_device < 0 or self.input_gb < 0:
            raise InvalidResourceRequest("memory, cpus and input sizes must not be negative")
        if self.devices_per_node is not None and self.devices_per_node < 1:
            raise InvalidResourceRequest("devices_per_node must be at least 1")
        self._check_conflicts()

    def _check_conflicts(self) -> None:
        """Constraints that contradict each other whatever the federation offers are named here."""
        conflicts: list[str] = []
        if self.ecosystems and self.models:
            outside = sorted(m for m in self.models if CATALOGUE[m].ecosystem not in self.ecosystems)
            if len(outside) == len(self.models):
                conflicts.append(f"models {'|'.join(outside)} are not in ecosystems {', '.join(sorted(self.ecosystems))}")
        if self.models and all(CATALOGUE[m].memory_gb < self.min_device_memory_gb for m in self.models):
            conflicts.append(f"no accepted model has {self.min_device_memory_gb} GB of device memory")
        if self.deadline_hours is not None and self.devices is not None and self.deadline_hours < self.hours:
            conflicts.append(f"deadline in {self.deadline_hours:g} h is sooner than the runtime of {self.hours:g} h")
        if self.devices is not None and self.devices_per_node and self.devices % self.devices_per_node:
            conflicts.append(f"devices {self.devices} is not a multiple of devices_per_node {self.devices_per_node}")
        if self.max_price_fen is not None and self.max_price_fen < 0:
            conflicts.append("max_price_fen is negative")
        if self.ecosystems == {Ecosystem.CPU} and self.devices is None:
            conflicts.append("CPU cores have no FP16 rating: ask for devices, not equivalents or P")
        if conflicts:
            raise ConflictingConstraints("conflicting constraints: " + "; ".join(conflicts), conflicts=conflicts)


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Why one pool cannot take the request: a stable `code` and the numbers behind it."""

    code: str
    center: str
    pool: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "center": self.center, "pool": self.pool, "params": dict(self.params)}


class PoolTable:
    """The pools as column arrays, built once per cycle."""

    def __init__(self, pools: Sequence[PoolView]) -> None:
        self.views = tuple(pools)
        accs = [accelerator(p.model) for p in self.views]
        self.index = {p.pool_id: i for i, p in enumerate(self.views)}
        ecos = list(Ecosystem)
        models = list(CATALOGUE)
        self.eco_bit = np.array([1 << ecos.index(a.ecosystem) for a in accs], dtype=np.int64)
        self.model_bit = np.array([1 << models.index(a.model) for a in accs], dtype=np.int64)
        self.memory_gb = np.array([a.memory_gb for a in accs], dtype=np.int64)
        self.watts = np.array([a.watts for a in accs], dtype=np.float64)
        self.dpn = np.array([p.devices_per_node for p in self.views], dtype=np.int64)
        self.nodes = np.array([p.nodes for p in self.views], dtype=np.int64)
        self.total = self.dpn * self.nodes
        self.max_nodes = np.array([min(p.max_nodes or p.nodes, p.nodes) for p in self.views], dtype=np.int64)
        self.cpus_per_node = np.array([p.cpus_per_node for p in self.views], dtype=np.int64)
        self.mem_per_node = np.array([p.memory_gb_per_node for p in self.views], dtype=np.int64)
        self.price = np.array([p.price_fen_per_device_hour for p in self.views], dtype=np.int64)
        self.free = np.clip(np.array([p.free_devices for p in self.views], dtype=np.int64), 0, self.total)
        self.queued_dh = np.array([p.queued_device_hours for p in self.views], dtype=np.float64)
        self.remaining_h = np.array([p.mean_remaining_hours for p in self.views], dtype=np.float64)
        self.green = np.array([p.green_share for p in self.views], dtype=np.float64)
        self.designated = np.array([p.designated for p in self.views], dtype=bool)
        self.available = np.array([p.available for p in self.views], dtype=bool)
        self.cities = [p.city for p in self.views]
        self.ecosystems = [a.ecosystem.value for a in accs]
        self.center_names = [p.center for p in self.views]
        busy = self.total - self.free
        centers = {c: i for i, c in enumerate(dict.fromkeys(self.center_names))}
        cidx = np.array([centers[c] for c in self.center_names], dtype=np.int64)
        self.center_busy = np.bincount(cidx, weights=busy, minlength=len(centers))[cidx]
        self.center_total = np.bincount(cidx, weights=self.total, minlength=len(centers))[cidx]

    def __len__(self) -> int:
        return len(self.views)

    def region_mask(self, allowed: frozenset[str]) -> np.ndarray:
        if not allowed:
            return np.ones(len(self.views), dtype=bool)
        return np.array([p.city in allowed or p.region in allowed for p in self.views], dtype=bool)


def first_reasons(checks: Sequence[tuple[str, np.ndarray]], shape: tuple[int, int]) -> np.ndarray:
    """Code matrix (0 = feasible): each cell gets the first failing check in `CODES` order."""
    codes = np.zeros(shape, dtype=np.int8)
    for code, failing in sorted(checks, key=lambda c: -CODE_INDEX[c[0]]):
        codes[np.broadcast_to(failing, shape)] = CODE_INDEX[code]
    return codes
