"""The interface every center adapter implements.

The platform never talks to a center's scheduler except through a `Backend`: submit, status, cancel,
usage from the backend's own accounting, per-pool capacity and health. Each adapter declares the
features it lacks in `unsupported` so callers can ask instead of guessing (SkyPilot's habit).

Transient trouble (controller down, network) raises `BackendUnavailable`: the caller retries with
backoff and never resubmits. A permanent refusal (bad partition, unknown GRES) raises
`BackendRejected`: the job fails with that reason and nothing is charged.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar


class Feature(StrEnum):
    LOGS = "logs"  # stdout/stderr readable through the platform
    CANCEL = "cancel"
    ACCOUNTING = "accounting"  # usage from the backend's own records
    CAPACITY = "capacity"
    GPUS = "gpus"  # can allocate accelerators


class Observed(StrEnum):
    """What the backend says about a job, in the platform's words."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    MISSING = "missing"  # the backend has no record of it

    @property
    def is_final(self) -> bool:
        return self not in (Observed.PENDING, Observed.RUNNING)


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    job_id: int  # the platform's id, used to name the job at the center (idempotency)
    name: str
    command: str
    devices: int
    model: str
    cpus: int
    memory_gb: int
    time_limit_s: int
    pool: str
    partition: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    # The center-side account to charge (from `Backend.ensure_account`); None: the adapter's default.
    account: str | None = None
    # A gang over several nodes: `devices`, `cpus` and `memory_gb` are totals, split evenly per node.
    nodes: int = 1
    tasks_per_node: int = 1


@dataclass(frozen=True, slots=True)
class Observation:
    state: Observed
    exit_code: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """Metered consumption of one job step, from the backend's own accounting."""

    step: str
    device_seconds: int
    core_seconds: int
    wall_seconds: int
    started_at: datetime
    ended_at: datetime
    exit_code: int | None
    source: str  # e.g. "sacct", "ray", "local"


@dataclass(frozen=True, slots=True)
class PoolCapacity:
    pool: str
    total_devices: int
    free_devices: int


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    detail: str


class Backend(ABC):
    kind: ClassVar[str]
    simulated: ClassVar[bool] = False
    unsupported: ClassVar[frozenset[Feature]] = frozenset()

    def __init__(self, center: str, options: dict[str, Any], pools: dict[str, tuple[str, int]]) -> None:
        """`pools` maps pool name -> (accelerator model, total devices) from the federation."""
        self.center = center
        self.options = options
        self.pools = pools

    def supports(self, feature: Feature) -> bool:
        return feature not in self.unsupported

    @abstractmethod
    def submit(self, request: SubmitRequest) -> str:
        """Hand the job to the center; returns the backend's job id. Idempotent per `job_id`."""

    @abstractmethod
    def observe(self, backend_job_id: str) -> Observation: ...

    @abstractmethod
    def cancel(self, backend_job_id: str) -> None: ...

    @abstractmethod
    def usage(self, backend_job_id: str) -> list[Usage]:
        """Usage records of a finished job, one per step; empty while it runs or if it never started."""

    @abstractmethod
    def capacity(self) -> list[PoolCapacity]: ...

    @abstractmethod
    def health(self) -> Health: ...

    @property
    def per_organisation_accounts(self) -> bool:
        """Whether `ensure_account` keeps an account per organisation (so its limit is worth computing)."""
        return False

    def ensure_account(self, *, organisation_id: int, organisation_name: str, pool: str,
                       limit_minutes: int | None) -> str | None:
        """The center-side account this organisation's jobs run under, created if missing, with at
        most `limit_minutes` device-minutes on `pool`'s kind of device (None: no limit). Idempotent.
        Returns None where the center has no per-organisation accounts (the default)."""
        return None

    def logs(self, backend_job_id: str, stream: str, limit: int) -> str:
        """The last `limit` bytes of stdout or stderr, where the backend keeps them."""
        from suanli.domain.errors import NotFound

        raise NotFound(f"center {self.center!r} ({self.kind}) does not keep job logs")
