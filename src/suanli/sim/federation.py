"""The federation a replay runs over: centers with node pools, prices, a local queue policy,
organisations with a home center, and a voucher (算力券) program.

The file is YAML (see examples/sim-federation-chengdu.yaml). Prices are integer fen per
device-hour and per CPU-hour. A center has node pools (a GPU model, or CPU-only nodes); the replay
tracks each pool's free accelerator milli, CPU milli and memory as one amount (node boundaries
inside a pool are the fill simulator's concern), but a job must fit on one node of the pool unless
the pool takes multi-node jobs (`multi_node: true`, the default for CPU-only pools, as on a
supercomputer's MPI partitions), in which case it may span up to the pool's node count. So a
center whose largest node has 2 GPUs never takes an 8-GPU job, and a 4,096-core MPI job runs only
where a CPU partition has that many cores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from suanli.sim import SimInputError

LOCAL_POLICIES = ("fifo", "easy-backfill")


@dataclass(frozen=True)
class SimPool:
    model: str
    nodes: int
    devices_per_node: int
    cpus_per_node: int
    memory_gib_per_node: int = 0  # 0 = memory not tracked
    multi_node: bool = False


@dataclass(frozen=True)
class SimCenter:
    name: str
    name_zh: str
    policy: str
    gpu_milli: int  # capacity
    cpu_milli: int
    max_gpus_per_node: int
    price_fen_per_device_hour: int
    price_fen_per_cpu_hour: int
    green_share: float
    voucher_eligible: bool
    pools: tuple[SimPool, ...] = ()  # empty: one node holding the whole capacity (hand-made centers)

    def node_pools(self) -> tuple[SimPool, ...]:
        if self.pools:
            return self.pools
        return (SimPool("any", 1, self.gpu_milli // 1000, max(self.cpu_milli // 1000, 1)),)


@dataclass(frozen=True)
class VoucherProgram:
    """A subsidy program: pays `ratio` of each eligible bill until `budget_fen` is spent."""

    budget_fen: int = 0
    ratio: Fraction = Fraction(0)


@dataclass(frozen=True)
class SimFederation:
    name: str
    centers: list[SimCenter]
    voucher: VoucherProgram
    homes: list[int] = field(default_factory=list)  # home center index per organisation
    value_of_wait_fen_per_device_hour: int = 0  # what an hour of waiting costs a user, for the broker
    value_of_wait_fen_per_cpu_hour: int = 0  # the same for a CPU core (CPU-only jobs)


def _require(mapping: dict[str, Any], key: str, where: str) -> Any:
    if key not in mapping:
        raise SimInputError(f"{where}: missing field {key!r}")
    return mapping[key]


def _int(value: Any, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SimInputError(f"{where}: expected an integer >= {minimum}, got {value!r}")
    return value


def _center(raw: Any, i: int) -> SimCenter:
    where = f"centers[{i}]"
    if not isinstance(raw, dict):
        raise SimInputError(f"{where}: expected a mapping")
    name = str(_require(raw, "name", where))
    policy = str(raw.get("policy", "fifo"))
    if policy not in LOCAL_POLICIES:
        raise SimInputError(f"{where}.policy: unknown {policy!r}; choose from {', '.join(LOCAL_POLICIES)}")
    pools = _require(raw, "pools", where)
    if not isinstance(pools, list) or not pools:
        raise SimInputError(f"{where}.pools: expected a non-empty list")
    gpu = cpu = widest = 0
    parsed = []
    for j, pool in enumerate(pools):
        pw = f"{where}.pools[{j}]"
        if not isinstance(pool, dict):
            raise SimInputError(f"{pw}: expected a mapping")
        nodes = _int(_require(pool, "nodes", pw), f"{pw}.nodes", 1)
        devices = _int(pool.get("devices_per_node", 0), f"{pw}.devices_per_node")
        cpus = _int(pool.get("cpus_per_node", 64), f"{pw}.cpus_per_node", 1)
        memory = _int(pool.get("memory_gib_per_node", 0), f"{pw}.memory_gib_per_node")
        multi = pool.get("multi_node", devices == 0)
        if not isinstance(multi, bool):
            raise SimInputError(f"{pw}.multi_node: expected true or false, got {multi!r}")
        gpu += nodes * devices * 1000
        cpu += nodes * cpus * 1000
        widest = max(widest, devices)
        parsed.append(SimPool(str(pool.get("model", "CPU" if not devices else "GPU")), nodes, devices, cpus,
                              memory, multi))
    green = float(raw.get("green_share", 0.0))
    if not 0.0 <= green <= 1.0:
        raise SimInputError(f"{where}.green_share: must be between 0 and 1")
    return SimCenter(name, str(raw.get("name_zh", name)), policy, gpu, cpu, widest,
                     _int(_require(raw, "price_fen_per_device_hour", where), f"{where}.price_fen_per_device_hour"),
                     _int(raw.get("price_fen_per_cpu_hour", 0), f"{where}.price_fen_per_cpu_hour"),
                     green, bool(raw.get("voucher_eligible", True)), tuple(parsed))


def load_federation(path: str | Path) -> SimFederation:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SimInputError(f"{path}: no such federation file") from None
    except UnicodeDecodeError as exc:
        raise SimInputError(f"{path}: not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8") from None
    except (OSError, yaml.YAMLError) as exc:
        raise SimInputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    except (RecursionError, ValueError):  # nesting past the parser's depth; an int of more than 4,300 digits
        raise SimInputError(f"{path}: not a federation file a person wrote (nested too deeply or a number too long)") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("centers"), list) or not raw["centers"]:
        raise SimInputError(f"{path}: expected a mapping with a non-empty 'centers' list")
    try:
        centers = [_center(c, i) for i, c in enumerate(raw["centers"])]
        index = {c.name: i for i, c in enumerate(centers)}
        homes = []
        for k, org in enumerate(raw.get("organisations") or []):
            home = _require(org, "home", f"organisations[{k}]") if isinstance(org, dict) else None
            if home not in index:
                raise SimInputError(f"organisations[{k}].home {home!r} is not a center")
            homes.append(index[home])
        v = raw.get("voucher") or {}
        ratio = Fraction(str(v.get("ratio", 0)))
        if not 0 <= ratio <= 1:
            raise SimInputError("voucher.ratio must be between 0 and 1")
        voucher = VoucherProgram(_int(v.get("budget_fen", 0), "voucher.budget_fen"), ratio)
        value = _int(raw.get("value_of_wait_fen_per_device_hour", 0), "value_of_wait_fen_per_device_hour")
        # default: a core-hour of waiting is worth what a core-hour costs at the dearest center, x 4
        dearest = max(c.price_fen_per_cpu_hour for c in centers)
        value_cpu = _int(raw.get("value_of_wait_fen_per_cpu_hour", 4 * dearest), "value_of_wait_fen_per_cpu_hour")
    except SimInputError as exc:
        raise SimInputError(f"{path}: {exc}") from None
    return SimFederation(str(raw.get("name", path.stem)), centers, voucher, homes or list(range(len(centers))), value,
                         value_cpu)
