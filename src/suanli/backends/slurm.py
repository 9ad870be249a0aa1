"""Slurm 22.05 center adapter, through the command-line tools (sbatch, squeue, sacct, scancel, sinfo).

A job is submitted as `suanli-<job id>` (prefix configurable with `name_prefix`); before every
submission the adapter looks that name up in squeue and sacct and returns the job it finds, so a
retried dispatch never runs a job twice. The job's final state, exit code and usage come from
slurmdbd's accounting (`sacct`): the adapter reports a job finished only once sacct has its final
record, so `usage()` is ready whenever `observe()` says final. One `Usage` per job, step `"job"`:
the allocation is what a center bills (devices held × elapsed), whatever steps ran inside it.

Options (federation file, backend block): `partition` (default for pools without one),
`partitions` ({pool: partition}), `conf` (-> SLURM_CONF), `slurm_bin_dir`, `workdir` (root of the
jobs' working directories and output files; must be on a filesystem the nodes share),
`gpu_flag` ("gres" -> `--gres=gpu:N`, or "gpus" -> `--gpus=N`), `gres_type` (e.g. "a100"),
`account`, `qos`, `command_timeout_s` (15), `lookup_days` (30), `name_prefix` ("suanli").

22.05 quirks handled here: `squeue --json` ignores `-j`/`--name` (so squeue is asked in its
parsable text form) and `sacct --json` reports exit code 0 for failed jobs (so the exit code
comes from `sacct -P -o ExitCode`).
"""

from __future__ import annotations

import math
import os
import shlex
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
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
from suanli.domain.errors import BackendRejected, BackendUnavailable, NotFound

ACTIVE = {"PENDING": Observed.PENDING, "CONFIGURING": Observed.PENDING, "REQUEUED": Observed.PENDING,
          "REQUEUE_HOLD": Observed.PENDING, "REQUEUE_FED": Observed.PENDING, "RESV_DEL_HOLD": Observed.PENDING,
          "RUNNING": Observed.RUNNING, "COMPLETING": Observed.RUNNING, "SUSPENDED": Observed.RUNNING,
          "STAGE_OUT": Observed.RUNNING, "SIGNALING": Observed.RUNNING, "RESIZING": Observed.RUNNING,
          "STOPPED": Observed.RUNNING}
FINAL = {"COMPLETED": Observed.SUCCEEDED, "FAILED": Observed.FAILED, "NODE_FAIL": Observed.FAILED,
         "BOOT_FAIL": Observed.FAILED, "OUT_OF_MEMORY": Observed.FAILED, "DEADLINE": Observed.TIMED_OUT,
         "PREEMPTED": Observed.FAILED, "TIMEOUT": Observed.TIMED_OUT, "CANCELLED": Observed.CANCELLED,
         "REVOKED": Observed.CANCELLED}
# Messages that mean "try again later", never "this job is wrong".
TRANSIENT = ("unable to contact slurm controller", "socket timed out", "connection refused", "connect failure",
             "communication connection failure", "temporarily unavailable", "zero bytes were transmitted",
             "problem talking to the database", "slurmdbd", "connection reset", "transport endpoint",
             "slurm backup controller in standby mode", "unable to establish connection")
GONE = ("invalid job id", "already completing or completed", "job has already finished")


def _epoch(value: Any) -> datetime | None:
    if isinstance(value, dict):  # 23.02+ wraps numbers as {"set": .., "number": ..}
        value = value.get("number") if value.get("set", True) else None
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _tres(items: list[dict[str, Any]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in items or []:
        key = f"{item['type']}/{item['name']}" if item.get("name") else item["type"]
        found[key] = int(item.get("count") or 0)
    return found


@register("slurm")
class SlurmBackend(Backend):
    unsupported = frozenset()

    def __init__(self, center: str, options: dict[str, Any], pools: dict[str, tuple[str, int]]) -> None:
        super().__init__(center, options, pools)
        self.bin_dir = options.get("slurm_bin_dir")
        self.timeout = float(options.get("command_timeout_s", 15))
        self.prefix = str(options.get("name_prefix", "suanli"))
        root = options.get("workdir") or Path(tempfile.gettempdir()) / "suanli-slurm" / center
        self.workdir = Path(root)
        self.env = dict(os.environ)
        if options.get("conf"):
            self.env["SLURM_CONF"] = str(options["conf"])

    # -- plumbing -----------------------------------------------------------------------------
    def _run(self, tool: str, *args: str, stdin: str | None = None, ok_gone: bool = False) -> str:
        exe = str(Path(self.bin_dir) / tool) if self.bin_dir else tool
        try:
            done = subprocess.run([exe, *args], check=False, input=stdin, capture_output=True, text=True, env=self.env,
                                  timeout=self.timeout)
        except subprocess.TimeoutExpired:
            raise BackendUnavailable(f"{tool} timed out after {self.timeout:g} s on center {self.center!r}") from None
        except FileNotFoundError:
            raise BackendUnavailable(f"{tool} is not installed for center {self.center!r}") from None
        if done.returncode == 0:
            return done.stdout
        message = " ".join((done.stderr or done.stdout).split())[:500] or f"{tool} exited {done.returncode}"
        lowered = message.lower()
        if ok_gone and any(g in lowered for g in GONE):
            return ""
        if any(t in lowered for t in TRANSIENT) or tool != "sbatch":
            raise BackendUnavailable(f"{tool} on center {self.center!r}: {message}")
        raise BackendRejected(message.replace("sbatch: error: ", ""))

    def _json(self, tool: str, *args: str) -> dict[str, Any]:
        import json

        text = self._run(tool, "--json", *args)
        try:
            return json.loads(text)
        except ValueError:
            raise BackendUnavailable(f"{tool} --json on center {self.center!r} returned no JSON") from None

    def _partition(self, pool: str, given: str | None = None) -> str | None:
        return given or self.options.get("partitions", {}).get(pool) or self.options.get("partition")

    def _is_gpu(self, pool: str) -> bool:
        return self.pools.get(pool, ("CPU", 0))[0] != "CPU"

    # -- submit ----------------------------------------------------------------------------------
    def submit(self, request: SubmitRequest) -> str:
        name = f"{self.prefix}-{request.job_id}"
        existing = self._find(name)
        if existing:
            return existing
        jobdir = self.workdir / name
        jobdir.mkdir(parents=True, exist_ok=True)
        args = ["--parsable", f"--job-name={name}", f"--chdir={jobdir}", f"--output={self.workdir}/slurm-%j.out",
                f"--error={self.workdir}/slurm-%j.err", f"--time={math.ceil(request.time_limit_s / 60)}",
                "--ntasks=1", f"--cpus-per-task={max(1, request.cpus)}"]
        partition = self._partition(request.pool, request.partition)
        if partition:
            args.append(f"--partition={partition}")
        if request.memory_gb > 0:
            args.append(f"--mem={request.memory_gb}G")
        if self._is_gpu(request.pool):
            kind = f"gpu:{self.options['gres_type']}" if self.options.get("gres_type") else "gpu"
            flag = "--gpus" if self.options.get("gpu_flag") == "gpus" else "--gres"
            args.append(f"{flag}={kind}:{request.devices}" if flag == "--gres" else f"--gpus={kind}:{request.devices}")
        for opt in ("account", "qos"):
            if self.options.get(opt):
                args.append(f"--{opt}={self.options[opt]}")
        script = "#!/bin/bash\n" + "".join(f"export {k}={shlex.quote(v)}\n" for k, v in request.env.items())
        script += request.command + "\n"
        out = self._run("sbatch", *args, stdin=script).strip()
        return out.split(";")[0]  # "<id>[;cluster]"

    def _find(self, name: str) -> str | None:
        """A job already submitted under this name (active in squeue or recorded in sacct)."""
        line = self._run("squeue", "-h", "--states=all", f"--name={name}", "-o", "%i", ok_gone=True).split()
        if line:
            return line[0]
        days = int(self.options.get("lookup_days", 30))
        rows = self._run("sacct", "-n", "-X", "-P", f"--name={name}", f"--starttime=now-{days}days",
                         "-o", "JobIDRaw").split()
        return rows[-1] if rows else None

    # -- follow ----------------------------------------------------------------------------------
    def _accounting(self, backend_job_id: str) -> dict[str, Any] | None:
        jobs = self._json("sacct", "-j", backend_job_id).get("jobs", [])
        mine = [j for j in jobs if str(j.get("job_id")) == backend_job_id]
        return mine[-1] if mine else None

    def _exit_code(self, backend_job_id: str) -> int | None:
        rows = self._run("sacct", "-n", "-X", "-P", "-j", backend_job_id, "-o", "ExitCode").split()
        if not rows:
            return None
        code, signal = (int(x) for x in rows[-1].split(":"))
        return 128 + signal if signal else code

    def observe(self, backend_job_id: str) -> Observation:
        record = self._accounting(backend_job_id)
        if record is not None:
            state = str(record["state"]["current"]).split()[0]
            if state in FINAL:
                times = record.get("time", {})
                return Observation(FINAL[state], self._exit_code(backend_job_id), _epoch(times.get("start")),
                                   _epoch(times.get("end")), f"slurm: {state.lower()}")
        line = self._run("squeue", "-h", "--states=all", "-j", backend_job_id, "-o", "%T|%r", ok_gone=True).strip()
        if not line:
            if record is not None:  # accounting knows it, the controller forgot it: still settling
                return Observation(Observed.RUNNING, reason="waiting for accounting")
            return Observation(Observed.MISSING, reason=f"slurm has no job {backend_job_id}")
        state, _, why = line.partition("|")
        if state in ACTIVE:
            started = _epoch((record or {}).get("time", {}).get("start")) if state != "PENDING" else None
            return Observation(ACTIVE[state], started_at=started, reason=None if why in ("None", "") else why)
        # Finished at the controller; accounting has not caught up yet, so not final for us.
        return Observation(Observed.RUNNING, reason=f"slurm {state.lower()}; waiting for accounting")

    def cancel(self, backend_job_id: str) -> None:
        self._run("scancel", backend_job_id, ok_gone=True)

    def usage(self, backend_job_id: str) -> list[Usage]:
        record = self._accounting(backend_job_id)
        if record is None or str(record["state"]["current"]).split()[0] not in FINAL:
            return []
        times = record.get("time", {})
        started, ended = _epoch(times.get("start")), _epoch(times.get("end"))
        if started is None or ended is None:
            return []  # never started: nothing to charge
        elapsed = int(times.get("elapsed") or 0)
        alloc = _tres(record.get("tres", {}).get("allocated", []))
        cpus, gpus = alloc.get("cpu", 0), alloc.get("gres/gpu", 0)
        partition = record.get("partition")
        pool = next((p for p in self.pools if self._partition(p) == partition), None)
        devices = gpus if (gpus or (pool and self._is_gpu(pool))) else cpus
        return [Usage("job", devices * elapsed, cpus * elapsed, elapsed, started, ended,
                      self._exit_code(backend_job_id), "sacct")]

    def logs(self, backend_job_id: str, stream: str, limit: int) -> str:
        path = self.workdir / f"slurm-{backend_job_id}.{'err' if stream == 'stderr' else 'out'}"
        if not path.exists():
            raise NotFound(f"no {stream} for slurm job {backend_job_id} under {self.workdir}")
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - limit))
            return f.read().decode(errors="replace")

    # -- center ----------------------------------------------------------------------------------
    def _nodes(self) -> list[dict[str, Any]]:
        """Per node: partitions, state, CPUs total/allocated, GPUs total/used (from sinfo)."""
        text = self._run("sinfo", "-h", "-N", "-O", "NodeList:|,Partition:|,StateLong:|,CPUsState:|,Gres:|,GresUsed:|")
        nodes = []
        for line in text.splitlines():
            name, part, state, cpus, gres, used = (x.strip() for x in line.split("|")[:6])
            alloc, _idle, _other, total = (int(x) for x in cpus.split("/"))
            nodes.append({"name": name, "partition": part.rstrip("*"), "state": state, "cpus": total,
                          "alloc_cpus": alloc, "gpus": _gpus(gres), "used_gpus": _gpus(used)})
        return nodes

    def capacity(self) -> list[PoolCapacity]:
        nodes = self._nodes()
        result = []
        for pool in self.pools:
            part = self._partition(pool)
            mine = [n for n in nodes if part is None or n["partition"] == part]
            usable = [n for n in mine if not any(s in n["state"] for s in ("down", "drain", "fail", "inval"))]
            if self._is_gpu(pool):
                total = sum(n["gpus"] for n in mine)
                free = sum(n["gpus"] - n["used_gpus"] for n in usable)
            else:
                total = sum(n["cpus"] for n in mine)
                free = sum(n["cpus"] - n["alloc_cpus"] for n in usable)
            result.append(PoolCapacity(pool, total, max(0, free)))
        return result

    def health(self) -> Health:
        try:
            ping = self._run("scontrol", "ping")
            if "UP" not in ping:
                return Health(False, f"controller not up: {' '.join(ping.split())}")
            nodes = self._nodes()
        except BackendUnavailable as exc:
            return Health(False, exc.detail)
        problems = []
        for pool in self.pools:
            part = self._partition(pool)
            mine = [n for n in nodes if part is None or n["partition"] == part]
            if not mine:
                problems.append(f"pool {pool}: partition {part!r} does not exist")
            elif self._is_gpu(pool) and not any(n["gpus"] for n in mine):
                problems.append(f"pool {pool}: partition {part!r} has no gres/gpu")
        return Health(not problems, "; ".join(problems) or f"slurmctld up, {len(nodes)} node entries")


def _gpus(gres: str) -> int:
    """Count GPUs in sinfo's Gres/GresUsed text, e.g. "gpu:2", "gpu:a100:4(IDX:0-3)", "gpu:0(IDX:N/A)"."""
    total = 0
    for part in gres.split(","):
        fields = part.split("(")[0].split(":")
        if fields[0] == "gpu" and len(fields) >= 2 and fields[-1].isdigit():
            total += int(fields[-1])
    return total


__all__ = ["Feature", "SlurmBackend"]
