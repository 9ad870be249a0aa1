"""Centers (算力中心) and their pools (资源池): what the federation offers and at what price.

A pool is an offering: one accelerator model, a number of nodes of one shape, a list price per
device-hour in fen. Each center is reached through one backend adapter named by `backend.kind`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from suanli.domain.errors import InvalidFederationFile
from suanli.domain.money import Fen
from suanli.domain.resources import Accelerator, accelerator

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


class CenterKind(StrEnum):
    SUPERCOMPUTING = "supercomputing"  # 超算中心
    AI = "ai"  # 智算中心
    DATACENTER = "datacenter"  # 数据中心集群
    CLOUD = "cloud"  # commercial cloud
    LOCAL = "local"  # this machine


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    model: str
    nodes: int
    devices_per_node: int
    price_fen_per_device_hour: Fen
    cpus_per_node: int = 64
    memory_gb_per_node: int = 512
    partition: str | None = None  # the center scheduler's queue, e.g. a Slurm partition
    max_nodes: int | None = None  # how many nodes one job may span (multi-node gangs); None: all `nodes`

    @property
    def accelerator(self) -> Accelerator:
        return accelerator(self.model)

    @property
    def total_devices(self) -> int:
        return self.nodes * self.devices_per_node


@dataclass(frozen=True, slots=True)
class Center:
    name: str
    name_zh: str
    kind: CenterKind
    city: str
    backend_kind: str
    backend_options: dict[str, Any] = field(default_factory=dict)
    green_share: float = 0.0  # share of electricity from renewables, 0..1
    pools: tuple[Pool, ...] = ()
    name_en: str | None = None  # the English name; `name` is the handle files and APIs use

    def pool(self, name: str) -> Pool:
        for pool in self.pools:
            if pool.name == name:
                return pool
        raise KeyError(name)


def check_unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidFederationFile(f"duplicate {what} name {name!r}")
        seen.add(name)
