"""A SIMULATED center: jobs "run" in accelerated virtual time on a node-level model of the pools.

This is a fake, on purpose and labelled so (`simulated = True`, usage source "simulated"): it
stands in for hardware that cannot run here (the demo's GPU and Ascend 昇腾 centers), so a laptop
can show a regional federation at work. Nothing is executed. Each pool is a row of nodes with
`devices_per_node` devices (option: an int or {pool: int}; default 8, 64 for CPU pools); a job takes devices on the
first node that fits (first-fit), or whole free nodes plus one partial node when it is larger than
a node; jobs that do not fit wait in a FIFO queue, and any waiting job that fits starts (backfill).

Virtual time runs `speedup` times faster than the clock (default 3600: a simulated hour passes in
one second). A job's virtual duration is N seconds when its command starts with `sleep N`, else
the option `default_duration_s` (600); past its time limit it ends `timed_out`; `exit K` in the
command gives exit code K. Usage figures (device-, core-, wall-seconds) are in virtual seconds;
`started_at`/`ended_at` are the real instants the simulation passed those points.

State lives in the process (one world per center name, shared by every adapter instance of that
center), is deterministic for a given clock (option `clock`: a callable returning seconds, for
tests) and is lost when the process exits: jobs then show as missing and are reconciled as lost.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from suanli.backends.base import (
    Backend,
    Feature,
    Health,
    Observation,
    Observed,
    PoolCapacity,
    SubmitRequest,
    Usage,
)
from suanli.backends.registry import register
from suanli.domain.errors import BackendRejected, NotFound

SLEEP = re.compile(r"^\s*sleep\s+(\d+(?:\.\d+)?)\b")
EXIT = re.compile(r"\bexit\s+(\d+)\b")


@dataclass
class SimJob:
    id: str
    pool: str
    devices: int
    cpus: int
    duration: float  # virtual seconds it would run
    limit: float
    exit_code: int
    submitted: float  # virtual
    started: float | None = None
    ended: float | None = None
    state: Observed = Observed.PENDING
    placement: list[tuple[int, int]] = field(default_factory=list)  # (node index, devices)


@dataclass
class World:
    """One simulated center: free devices per node per pool, jobs, the virtual clock's origin."""

    free: dict[str, list[int]]
    per_node: dict[str, int]
    origin_real: float
    jobs: dict[str, SimJob] = field(default_factory=dict)
    queue: list[str] = field(default_factory=list)
    now: float = 0.0  # virtual seconds since origin
    lock: threading.Lock = field(default_factory=threading.Lock)


_WORLDS: dict[str, World] = {}
_WORLDS_LOCK = threading.Lock()


def reset(center: str | None = None) -> None:
    """Forget one simulated center (or all): for tests and demo resets."""
    with _WORLDS_LOCK:
        if center is None:
            _WORLDS.clear()
        else:
            _WORLDS.pop(center, None)


def _fit(free: list[int], per_node: int, devices: int) -> list[tuple[int, int]] | None:
    """First fit: one node if the job fits on one, else whole idle nodes plus one partial node."""
    if devices <= per_node:
        node = next((i for i, f in enumerate(free) if f >= devices), None)
        return None if node is None else [(node, devices)]
    whole, rest = divmod(devices, per_node)
    idle = [i for i, f in enumerate(free) if f == per_node]
    if len(idle) < whole:
        return None
    taken = [(i, per_node) for i in idle[:whole]]
    if rest:
        part = next((i for i, f in enumerate(free) if f >= rest and i not in idle[:whole]), None)
        if part is None:
            return None
        taken.append((part, rest))
    return taken


@register("simulated")
class SimulatedBackend(Backend):
    simulated = True
    unsupported = frozenset({Feature.LOGS})

    def __init__(self, center: str, options: dict[str, Any], pools: dict[str, tuple[str, int]]) -> None:
        super().__init__(center, options, pools)
        self.speedup = float(options.get("speedup", 3600))
        self.default_duration = float(options.get("default_duration_s", 600))
        clock = options.get("clock")
        self.clock: Callable[[], float] = clock if callable(clock) else time.time
        with _WORLDS_LOCK:
            world = _WORLDS.get(center)
            if world is None:
                world = self._new_world()
                _WORLDS[center] = world
        self.world = world

    def _new_world(self) -> World:
        setting = self.options.get("devices_per_node")
        per_node, free = {}, {}
        for pool, (model, total) in self.pools.items():
            default = 64 if model == "CPU" else 8  # a typical CPU node's cores, a typical GPU server
            n = int(setting.get(pool, default) if isinstance(setting, dict) else setting or default)
            n = max(1, min(n, total)) if total else 1
            per_node[pool] = n
            free[pool] = [n] * (total // n) + ([total % n] if total % n else [])
        return World(free=free, per_node=per_node, origin_real=self.clock())

    # -- the virtual clock ----------------------------------------------------------------------------
    def _real(self, virtual: float) -> datetime:
        return datetime.fromtimestamp(self.world.origin_real + virtual / self.speedup, UTC)

    def _advance(self) -> None:
        """Run the simulation up to now: finish jobs in end order, start waiting jobs as room frees."""
        w = self.world
        target = (self.clock() - w.origin_real) * self.speedup
        while True:
            self._start_waiting()
            running = [j for j in w.jobs.values() if j.state == Observed.RUNNING]
            if not running:
                break
            job = min(running, key=lambda j: (j.started + min(j.duration, j.limit), j.id))  # type: ignore[operator]
            end = job.started + min(job.duration, job.limit)  # type: ignore[operator]
            if end > target:
                break
            w.now = max(w.now, end)
            self._finish(job, end, Observed.SUCCEEDED if job.duration <= job.limit else Observed.TIMED_OUT)
        w.now = max(w.now, target)

    def _start_waiting(self) -> None:
        w = self.world
        for job_id in list(w.queue):
            job = w.jobs[job_id]
            taken = _fit(w.free[job.pool], w.per_node[job.pool], job.devices)
            if taken is None:
                continue
            for node, n in taken:
                w.free[job.pool][node] -= n
            job.placement, job.started, job.state = taken, w.now, Observed.RUNNING
            w.queue.remove(job_id)

    def _finish(self, job: SimJob, at: float, state: Observed) -> None:
        for node, n in job.placement:
            self.world.free[job.pool][node] += n
        if state == Observed.SUCCEEDED and job.exit_code:
            state = Observed.FAILED
        job.ended, job.state = at, state
        if job.id in self.world.queue:
            self.world.queue.remove(job.id)

    # -- Backend ---------------------------------------------------------------------------------------
    def submit(self, request: SubmitRequest) -> str:
        job_id = f"sim-{request.job_id}"
        with self.world.lock:
            if job_id in self.world.jobs:
                return job_id
            if request.pool not in self.pools:
                raise BackendRejected(f"simulated center {self.center!r} has no pool {request.pool!r}")
            total = self.pools[request.pool][1]
            if request.devices > total:
                raise BackendRejected(f"pool {request.pool!r} has {total} devices; the job asks for {request.devices}")
            self._advance()
            sleep, code = SLEEP.match(request.command), EXIT.search(request.command)
            duration = float(sleep.group(1)) if sleep else self.default_duration
            self.world.jobs[job_id] = SimJob(job_id, request.pool, request.devices, max(1, request.cpus), duration,
                                             float(request.time_limit_s), int(code.group(1)) if code else 0,
                                             self.world.now)
            self.world.queue.append(job_id)
            self._start_waiting()
        return job_id

    def _job(self, backend_job_id: str) -> SimJob | None:
        self._advance()
        return self.world.jobs.get(backend_job_id)

    def observe(self, backend_job_id: str) -> Observation:
        with self.world.lock:
            job = self._job(backend_job_id)
            if job is None:
                return Observation(Observed.MISSING, reason=f"simulated center has no job {backend_job_id} "
                                                            "(simulation state is lost when the process restarts)")
            started = self._real(job.started) if job.started is not None else None
            ended = self._real(job.ended) if job.ended is not None else None
            exit_code = None if not job.state.is_final else (job.exit_code if job.state == Observed.FAILED else 0)
            if job.state in (Observed.TIMED_OUT, Observed.CANCELLED):
                exit_code = None
            return Observation(job.state, exit_code, started, ended, "simulated")

    def cancel(self, backend_job_id: str) -> None:
        with self.world.lock:
            job = self._job(backend_job_id)
            if job is not None and not job.state.is_final:
                self._finish(job, self.world.now, Observed.CANCELLED)

    def usage(self, backend_job_id: str) -> list[Usage]:
        with self.world.lock:
            job = self._job(backend_job_id)
            if job is None or not job.state.is_final or job.started is None or job.ended is None:
                return []
            wall = round(job.ended - job.started)
            code = {Observed.SUCCEEDED: 0, Observed.FAILED: job.exit_code}.get(job.state)
            return [Usage("job", job.devices * wall, job.cpus * wall, wall, self._real(job.started),
                          self._real(job.ended), code, "simulated")]

    def capacity(self) -> list[PoolCapacity]:
        with self.world.lock:
            self._advance()
            return [PoolCapacity(pool, total, sum(self.world.free[pool])) for pool, (_m, total) in self.pools.items()]

    def health(self) -> Health:
        return Health(True, f"simulated center (speedup {self.speedup:g}x); nothing really runs")

    def logs(self, backend_job_id: str, stream: str, limit: int) -> str:
        raise NotFound(f"center {self.center!r} is simulated: its jobs have no output")


# The demo's Ascend center is simulated too: no Ascend hardware (or CANN) can run here.
register("ascend")(type("SimulatedAscendBackend", (SimulatedBackend,), {"__doc__": "Simulated Ascend 昇腾 center."}))
