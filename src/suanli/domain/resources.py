"""Accelerators, software ecosystems and resource requests.

A pool is homogeneous: one accelerator model on nodes of one shape. The catalogue gives each known
model its ecosystem, device memory and FP16 TFLOPS, the basis of the performance-normalised units
(A100-equivalents, P = PFLOPS FP16) the broker quotes in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from suanli.domain.errors import InvalidResourceRequest


class Ecosystem(StrEnum):
    """Software ecosystem a job's images are built for (国产生态 / 非国产生态)."""

    CUDA = "cuda"  # NVIDIA
    CANN = "cann"  # Huawei Ascend (昇腾)
    ROCM = "rocm"  # Hygon DCU (海光 DTK) and AMD
    CPU = "cpu"  # no accelerator

    @classmethod
    def parse(cls, text: str) -> Ecosystem:
        key = text.strip().lower()
        key = {"dtk": "rocm", "ascend": "cann", "nvidia": "cuda"}.get(key, key)
        try:
            return cls(key)
        except ValueError:
            known = ", ".join(e.value for e in cls)
            raise InvalidResourceRequest(f"unknown ecosystem {text!r}; known: {known}, dtk") from None


@dataclass(frozen=True, slots=True)
class Accelerator:
    model: str
    ecosystem: Ecosystem
    memory_gb: int
    fp16_tflops: float
    watts: int


# Dense FP16 tensor throughput from vendor data sheets; CPU "devices" are cores.
CATALOGUE: dict[str, Accelerator] = {
    a.model: a
    for a in [
        Accelerator("A800", Ecosystem.CUDA, 80, 312.0, 400),
        Accelerator("A100", Ecosystem.CUDA, 80, 312.0, 400),
        Accelerator("H800", Ecosystem.CUDA, 80, 989.0, 700),
        Accelerator("H20", Ecosystem.CUDA, 96, 148.0, 400),
        Accelerator("L40S", Ecosystem.CUDA, 48, 362.0, 350),
        Accelerator("V100", Ecosystem.CUDA, 32, 125.0, 300),
        Accelerator("T4", Ecosystem.CUDA, 16, 65.0, 70),
        Accelerator("Ascend910B", Ecosystem.CANN, 64, 320.0, 400),
        Accelerator("HygonK100", Ecosystem.ROCM, 64, 192.0, 350),
        Accelerator("CPU", Ecosystem.CPU, 0, 0.0, 10),
    ]
}

REFERENCE_MODEL = "A100"
MAX_DEVICES_PER_JOB = 100_000
MAX_NODES_PER_JOB = 10_000


def accelerator(model: str) -> Accelerator:
    try:
        return CATALOGUE[model]
    except KeyError:
        known = ", ".join(sorted(CATALOGUE))
        raise InvalidResourceRequest(f"unknown accelerator model {model!r}; known: {known}") from None


@dataclass(frozen=True, slots=True)
class ResourceRequest:
    """What a job needs: `devices` of any model in `models` (empty = any) within `ecosystems`
    (empty = any), each with at least `min_device_memory_gb`."""

    devices: int
    ecosystems: frozenset[Ecosystem] = field(default_factory=frozenset)
    models: frozenset[str] = field(default_factory=frozenset)
    min_device_memory_gb: int = 0
    cpus_per_device: int = 1
    memory_gb_per_device: int = 1
    # A gang over several nodes (MPI): `devices` split evenly over `nodes`, `tasks_per_node` tasks on
    # each. None: as few nodes as hold the devices (the broker's choice).
    nodes: int | None = None
    tasks_per_node: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.devices <= MAX_DEVICES_PER_JOB:
            raise InvalidResourceRequest(f"devices must be between 1 and {MAX_DEVICES_PER_JOB}, got {self.devices}")
        for model in self.models:
            accelerator(model)
        if self.min_device_memory_gb < 0:
            raise InvalidResourceRequest("min_device_memory_gb must not be negative")
        if self.cpus_per_device < 1 or self.memory_gb_per_device < 0:
            raise InvalidResourceRequest("cpus_per_device must be >= 1 and memory_gb_per_device >= 0")
        if self.nodes is not None and not 1 <= self.nodes <= MAX_NODES_PER_JOB:
            raise InvalidResourceRequest(f"nodes must be between 1 and {MAX_NODES_PER_JOB}", field="nodes")
        if self.nodes is not None and self.devices % self.nodes:
            raise InvalidResourceRequest(f"{self.devices} devices cannot be split evenly over {self.nodes} nodes",
                                         field="nodes")
        if not 1 <= self.tasks_per_node <= 1024:
            raise InvalidResourceRequest("tasks_per_node must be between 1 and 1024", field="tasks_per_node")

    def accepts(self, acc: Accelerator) -> bool:
        return (
            (not self.ecosystems or acc.ecosystem in self.ecosystems)
            and (not self.models or acc.model in self.models)
            and acc.memory_gb >= self.min_device_memory_gb
        )


def parse_models(text: str | None) -> frozenset[str]:
    """`"A800|H800|A100"` -> the set of models, each checked against the catalogue."""
    if not text:
        return frozenset()
    models = frozenset(part.strip() for part in text.split("|") if part.strip())
    for model in models:
        accelerator(model)
    return models
