"""The local backend: runs a job's command as a real process on this machine.

Each job gets a directory `<root>/job-<id>/` and a detached supervisor (`local_runner`) that runs the
command in its own process group, captures stdout/stderr, enforces the time limit and writes the
outcome. The backend only reads those files, so a server restart reattaches to running jobs, and a
job directory that exists means the job was handed over: it is never started twice. Devices of the
local pool are CPU cores.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from suanli.backends.base import Backend, Health, Observation, Observed, PoolCapacity, SubmitRequest, Usage
from suanli.backends.local_runner import write_atomically
from suanli.backends.registry import register
from suanli.domain.errors import BackendUnavailable, NotFound

STARTUP_GRACE_S = 30.0


@register("local")
class LocalBackend(Backend):
    def __init__(self, center: str, options: dict[str, Any], pools: dict[str, tuple[str, int]]) -> None:
        super().__init__(center, options, pools)
        self.root = Path(options.get("root", "var/jobs")).resolve()

    def _dir(self, backend_job_id: str) -> Path:
        if not backend_job_id.startswith("job-") or not backend_job_id[4:].isdigit():
            raise NotFound(f"no local job {backend_job_id!r}")
        return self.root / backend_job_id

    def submit(self, request: SubmitRequest) -> str:
        backend_job_id = f"job-{request.job_id}"
        job_dir = self.root / backend_job_id
        try:
            job_dir.mkdir(parents=True)
        except FileExistsError:
            return backend_job_id  # handed over before: never run twice
        except OSError as exc:
            raise BackendUnavailable(f"cannot create job directory: {exc}") from None
        spec = {"job_id": request.job_id, "name": request.name, "command": request.command,
                "devices": request.devices, "cpus": request.cpus, "time_limit_s": request.time_limit_s,
                "env": request.env, "submitted_at": time.time()}
        write_atomically(job_dir / "job.json", spec)
        subprocess.run([sys.executable, "-m", "suanli.backends.local_runner", "--daemonize", str(job_dir)],
                       check=True, stdin=subprocess.DEVNULL)
        return backend_job_id

    def observe(self, backend_job_id: str) -> Observation:
        job_dir = self._dir(backend_job_id)
        if not (job_dir / "job.json").exists():
            return Observation(Observed.MISSING, reason="no such job directory")
        outcome = _read(job_dir / "exit.json")
        if outcome:
            return Observation(Observed(outcome["state"]), outcome["exit_code"], _time(outcome["started_at"]),
                               _time(outcome["ended_at"]))
        state = _read(job_dir / "state.json")
        if state:
            if _alive(state["runner_pid"]):
                return Observation(Observed.RUNNING, started_at=_time(state["started_at"]))
            return Observation(Observed.MISSING, reason="the job's supervisor ended without an outcome (machine restart?)")
        spec = _read(job_dir / "job.json") or {}
        if time.time() - float(spec.get("submitted_at", 0)) > STARTUP_GRACE_S:
            return Observation(Observed.MISSING, reason="the job's supervisor never started")
        return Observation(Observed.PENDING)

    def cancel(self, backend_job_id: str) -> None:
        job_dir = self._dir(backend_job_id)
        (job_dir / "cancel").touch()
        state = _read(job_dir / "state.json")
        if state and not (job_dir / "exit.json").exists():
            try:
                os.kill(state["runner_pid"], signal.SIGTERM)
            except ProcessLookupError:
                pass

    def usage(self, backend_job_id: str) -> list[Usage]:
        job_dir = self._dir(backend_job_id)
        outcome = _read(job_dir / "exit.json")
        if not outcome or not outcome["started_at"]:
            return []
        spec = _read(job_dir / "job.json") or {}
        started, ended = _time(outcome["started_at"]), _time(outcome["ended_at"])
        assert started and ended
        # Whole seconds, rounded up: a job that ran 0.2 s still used the machine for a second.
        wall = max(1, math.ceil((ended - started).total_seconds()))
        return [Usage("batch", wall * int(spec.get("devices", 1)), wall * int(spec.get("cpus", 1)), wall,
                      started, ended, outcome["exit_code"], "local")]

    def capacity(self) -> list[PoolCapacity]:
        busy = 0
        if self.root.exists():
            for job_dir in self.root.glob("job-*"):
                if not (job_dir / "exit.json").exists() and (spec := _read(job_dir / "job.json")):
                    busy += int(spec.get("devices", 1))
        return [PoolCapacity(pool, total, max(0, total - busy)) for pool, (_model, total) in self.pools.items()]

    def health(self) -> Health:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return Health(False, f"job directory not writable: {exc}")
        return Health(True, f"local processes under {self.root}")

    def logs(self, backend_job_id: str, stream: str, limit: int) -> str:
        path = self._dir(backend_job_id) / ("stdout.log" if stream == "stdout" else "stderr.log")
        if not path.exists():
            return ""
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - limit))
            return f.read().decode("utf-8", errors="replace")


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
