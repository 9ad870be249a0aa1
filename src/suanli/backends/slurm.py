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
`account`, `qos`, `command_timeout_s` (15), `lookup_days` (30), `name_prefix` ("suanli"),
`parent_account`, `account_prefix` ("<name_prefix>-org") and `accounting_wait_s` (300: how long a
finished job whose accounting still lacks its start, end or allocation is reported running).

With `parent_account`, each organisation's jobs run under its own account below it
(`ensure_account`, called by the dispatch: created with `sacctmgr -i add account`, the submitting
user added, `GrpTRESMins` set where a voucher program caps the organisation) and sbatch gets
`--account=`. A gang over several nodes (`SubmitRequest.nodes` > 1) is submitted with `--nodes`,
`--ntasks-per-node` and GRES/memory per node; see docs/backends.md.

Following many jobs costs one `squeue` and one `sacct` per center per tick, not calls per job:
`observe` and `usage` read a snapshot of every job the adapter was asked about in the last
`watch_s` (600) seconds, refreshed at most every `snapshot_ttl_s` (0.4, under the worker's tick)
or when a job not in it is asked for: `squeue -u <user>` filtered by the name prefix, and one
`sacct -X -P -j id,id,...` with `SLURM_TIME_FORMAT=%s` (state, exit code, times, allocation).

22.05 quirks handled here: `squeue --json` ignores `-j`/`--name` and `sacct --json` reports exit
code 0 for failed jobs, so both are read in their parsable text forms.
"""

from __future__ import annotations

import getpass
import math
import os
import shlex
import subprocess
import tempfile
import time
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
# Final states only a job that started can reach: its accounting must have a start, an end and an allocation.
RAN = frozenset({"COMPLETED", "OUT_OF_MEMORY", "TIMEOUT"})
# Messages that mean "try again later", never "this job is wrong".
TRANSIENT = ("unable to contact slurm controller", "socket timed out", "connection refused", "connect failure",
             "communication connection failure", "temporarily unavailable", "zero bytes were transmitted",
             "problem talking to the database", "slurmdbd", "connection reset", "transport endpoint",
             "slurm backup controller in standby mode", "unable to establish connection")
GONE = ("invalid job id", "already completing or completed", "job has already finished")


def _seconds(value: str) -> datetime | None:
    """A time sacct printed with SLURM_TIME_FORMAT=%s ("Unknown"/"None" when unset)."""
    return datetime.fromtimestamp(int(value), UTC) if value.isdigit() and int(value) > 0 else None


def _tres_text(text: str) -> dict[str, int]:
    """AllocTRES as sacct prints it: "billing=3,cpu=3,gres/gpu=2,mem=0,node=1"."""
    found: dict[str, int] = {}
    for item in text.split(","):
        key, _, number = item.partition("=")
        if number.isdigit():
            found[key] = int(number)
    return found


def _exit_code(text: str) -> int | None:
    code, _, signal = text.partition(":")
    if not code.isdigit():
        return None
    return 128 + int(signal) if signal.isdigit() and int(signal) else int(code)


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
        self.snapshot_ttl = float(options.get("snapshot_ttl_s", 0.4))
        self.watch_s = float(options.get("watch_s", 600))
        self.accounting_wait_s = float(options.get("accounting_wait_s", 300))
        self._incomplete_since: dict[str, float] = {}
        self._watched: dict[str, float] = {}
        self._snapshot_at = -math.inf
        self._queue: dict[str, tuple[str, str]] = {}
        self._acct: dict[str, dict[str, Any]] = {}
        self.user = getpass.getuser()  # who submits: the user the accounts are granted to
        self._created: set[str] = set()  # accounts known to exist
        self._accounts: dict[tuple[str, str], int] = {}  # (account, tres) -> GrpTRESMins last set

    # -- plumbing -----------------------------------------------------------------------------
    def _run(self, tool: str, *args: str, stdin: str | None = None, ok_gone: bool = False,
             env: dict[str, str] | None = None, ok_text: tuple[str, ...] = ()) -> str:
        exe = str(Path(self.bin_dir) / tool) if self.bin_dir else tool
        try:
            done = subprocess.run([exe, *args], check=False, input=stdin, capture_output=True, text=True,
                                  env={**self.env, **(env or {})}, timeout=self.timeout)
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
        if any(t in lowered for t in ok_text):
            return done.stdout
        if any(t in lowered for t in TRANSIENT) or tool != "sbatch":
            raise BackendUnavailable(f"{tool} on center {self.center!r}: {message}")
        raise BackendRejected(message.replace("sbatch: error: ", ""))

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
        args = self._sbatch_args(request, name)
        (self.workdir / name).mkdir(parents=True, exist_ok=True)
        script = "#!/bin/bash\n" + "".join(f"export {k}={shlex.quote(v)}\n" for k, v in request.env.items())
        script += request.command + "\n"
        out = self._run("sbatch", *args, stdin=script).strip()
        return out.split(";")[0]  # "<id>[;cluster]"

    def _sbatch_args(self, request: SubmitRequest, name: str) -> list[str]:
        """sbatch's arguments for one job. A gang over several nodes asks `--nodes`/`--ntasks-per-node`;
        GRES and `--mem` are per node in Slurm, so the request's totals are split evenly."""
        nodes, tasks = max(1, request.nodes), max(1, request.tasks_per_node)
        if request.devices % nodes:
            raise BackendRejected(f"{request.devices} devices cannot be split evenly over {nodes} nodes")
        args = ["--parsable", f"--job-name={name}", f"--chdir={self.workdir / name}",
                f"--output={self.workdir}/slurm-%j.out", f"--error={self.workdir}/slurm-%j.err",
                f"--time={math.ceil(request.time_limit_s / 60)}"]
        if nodes == 1 and tasks == 1:
            args += ["--ntasks=1", f"--cpus-per-task={max(1, request.cpus)}"]
        else:
            args += [f"--nodes={nodes}", f"--ntasks-per-node={tasks}",
                     f"--cpus-per-task={max(1, request.cpus // (nodes * tasks))}"]
        partition = self._partition(request.pool, request.partition)
        if partition:
            args.append(f"--partition={partition}")
        if request.memory_gb > 0:
            args.append(f"--mem={math.ceil(request.memory_gb / nodes)}G")
        if self._is_gpu(request.pool):
            kind = f"gpu:{self.options['gres_type']}" if self.options.get("gres_type") else "gpu"
            per_node = request.devices // nodes
            if self.options.get("gpu_flag") == "gpus":
                args.append(f"--gpus={kind}:{request.devices}" if nodes == 1 else f"--gpus-per-node={kind}:{per_node}")
            else:
                args.append(f"--gres={kind}:{per_node}")
        account = request.account or self.options.get("account")
        if account:
            args.append(f"--account={account}")
        if self.options.get("qos"):
            args.append(f"--qos={self.options['qos']}")
        return args

    # -- per-organisation accounts ------------------------------------------------------------------
    def account_name(self, organisation_id: int) -> str:
        """The organisation's Slurm account: `<account_prefix><id>` (default "suanli-org42"). From the
        id, so it never changes when the organisation is renamed; lower case, as Slurm stores it."""
        prefix = str(self.options.get("account_prefix", f"{self.prefix}-org")).lower()
        return f"{prefix}{int(organisation_id)}"

    @property
    def per_organisation_accounts(self) -> bool:
        return bool(self.options.get("parent_account"))

    def ensure_account(self, *, organisation_id: int, organisation_name: str, pool: str,
                       limit_minutes: int | None) -> str | None:
        """With `parent_account` set: the organisation's own account under it, created with
        `sacctmgr -i add account` (and the submitting user added to it), its `GrpTRESMins` on the
        pool's device (`gres/gpu` or `cpu`) set to `limit_minutes` (-1 clears it). Remembered per
        adapter, so sacctmgr is asked again only when the limit changes. Without `parent_account`:
        the static `account` option (or None), as before."""
        parent = self.options.get("parent_account")
        if not parent:
            return self.options.get("account")
        account = self.account_name(organisation_id)
        tres = "gres/gpu" if self._is_gpu(pool) else "cpu"
        limit = -1 if limit_minutes is None else max(0, int(limit_minutes))
        if self._accounts.get((account, tres)) == limit:
            return account
        if account not in self._created:
            label = " ".join(organisation_name.replace(",", " ").replace("=", " ").replace("'", " ").split())[:60]
            if parent not in self._created:
                self._sacctmgr("add", "account", str(parent), f"description=center {self.center}",
                               f"organization={self.center}")
                self._created.add(str(parent))
            self._sacctmgr("add", "account", account, f"parent={parent}",
                           f"description=organisation {int(organisation_id)} {label}".strip(),
                           f"organization={label or account}")
            self._sacctmgr("add", "user", self.user, f"account={account}")
            self._created.add(account)
        self._sacctmgr("modify", "account", account, "set", f"GrpTRESMins={tres}={limit}")
        self._accounts[(account, tres)] = limit
        return account

    def _sacctmgr(self, *args: str) -> None:
        self._run("sacctmgr", "-i", *args, ok_text=("nothing new added", "nothing modified"))

    def _find(self, name: str) -> str | None:
        """A job already submitted under this name (active in squeue or recorded in sacct)."""
        line = self._run("squeue", "-h", "--states=all", f"--name={name}", "-o", "%i", ok_gone=True).split()
        if line:
            return line[0]
        days = int(self.options.get("lookup_days", 30))
        rows = self._run("sacct", "-n", "-X", "-P", f"--name={name}", f"--starttime=now-{days}days",
                         "-o", "JobIDRaw").split()
        return rows[-1] if rows else None

    # -- follow (one snapshot per tick) -----------------------------------------------------------
    def _snapshot(self, backend_job_id: str) -> None:
        now = time.monotonic()
        self._watched[backend_job_id] = now
        fresh = now - self._snapshot_at < self.snapshot_ttl
        if fresh and (backend_job_id in self._queue or backend_job_id in self._acct):
            return
        self._watched = {k: v for k, v in self._watched.items() if now - v < self.watch_s}
        ids = ",".join(sorted(self._watched, key=lambda i: (len(i), i)))
        queue: dict[str, tuple[str, str]] = {}
        controller_down: BackendUnavailable | None = None
        try:
            text = self._run("squeue", "-h", "--states=all", f"--user={self.user}", "-o", "%i|%j|%T|%r",
                             ok_gone=True)
        except BackendUnavailable as exc:  # accounting may still know the job's end (slurmdbd is apart)
            controller_down, text = exc, ""
        for line in text.splitlines():
            parts = line.strip().split("|")
            if len(parts) == 4 and parts[1].startswith(f"{self.prefix}-"):
                queue[parts[0]] = (parts[2], parts[3])
        acct: dict[str, dict[str, Any]] = {}
        rows = self._run("sacct", "-n", "-X", "-P", "-j", ids, "-o",
                         "JobIDRaw,State,ExitCode,Start,End,ElapsedRaw,AllocTRES,Partition",
                         env={"SLURM_TIME_FORMAT": "%s"})
        for line in rows.splitlines():
            parts = line.strip().split("|")
            if len(parts) == 8:
                job, state, code, start, end, elapsed, tres, partition = parts
                acct[job] = {"state": state.split()[0] if state else "", "exit": code, "start": _seconds(start),
                             "end": _seconds(end), "elapsed": int(elapsed or 0), "tres": _tres_text(tres),
                             "partition": partition}
        if controller_down is not None:
            self._queue, self._acct, self._snapshot_at = {}, acct, -math.inf
            if acct.get(backend_job_id, {}).get("state") not in FINAL:
                raise controller_down
            return
        self._queue, self._acct, self._snapshot_at = queue, acct, time.monotonic()

    def _accounting(self, backend_job_id: str) -> dict[str, Any] | None:
        self._snapshot(backend_job_id)
        return self._acct.get(backend_job_id)

    def _incomplete(self, backend_job_id: str, record: dict[str, Any]) -> bool:
        """A final record of a job that ran, still without its start, end or allocation: slurmdbd
        writes the job's end before the rest of it has caught up. Settling now would meter nothing
        (a job run for free), so we wait, up to `accounting_wait_s`: a job that never ran
        (cancelled while pending, failed to boot) has no start and must still end."""
        ran = record["state"] in RAN or record["elapsed"] > 0 or record["start"] is not None
        if not ran or (record["start"] is not None and record["end"] is not None and record["tres"]):
            self._incomplete_since.pop(backend_job_id, None)
            return False
        since = self._incomplete_since.setdefault(backend_job_id, time.monotonic())
        return time.monotonic() - since < self.accounting_wait_s

    def observe(self, backend_job_id: str) -> Observation:
        record = self._accounting(backend_job_id)
        if record is not None and record["state"] in FINAL and self._incomplete(backend_job_id, record):
            return Observation(Observed.RUNNING, reason="waiting for accounting")
        if record is not None and record["state"] in FINAL:
            return Observation(FINAL[record["state"]], _exit_code(record["exit"]), record["start"], record["end"],
                               f"slurm: {record['state'].lower()}")
        queued = self._queue.get(backend_job_id)
        if queued is None:
            if record is not None:  # accounting knows it, the controller forgot it: still settling
                return Observation(Observed.RUNNING, reason="waiting for accounting")
            return Observation(Observed.MISSING, reason=f"slurm has no job {backend_job_id}")
        state, why = queued
        if state in ACTIVE:
            started = (record or {}).get("start") if state != "PENDING" else None
            return Observation(ACTIVE[state], started_at=started, reason=None if why in ("None", "") else why)
        # Finished at the controller; accounting has not caught up yet, so not final for us.
        return Observation(Observed.RUNNING, reason=f"slurm {state.lower()}; waiting for accounting")

    def cancel(self, backend_job_id: str) -> None:
        self._run("scancel", backend_job_id, ok_gone=True)

    def usage(self, backend_job_id: str) -> list[Usage]:
        record = self._accounting(backend_job_id)
        if record is None or record["state"] not in FINAL:
            return []
        started, ended = record["start"], record["end"]
        if started is None or ended is None:
            return []  # never started: nothing to charge
        elapsed = int(record["elapsed"])
        cpus, gpus = record["tres"].get("cpu", 0), record["tres"].get("gres/gpu", 0)
        partition = record["partition"]
        pool = next((p for p in self.pools if self._partition(p) == partition), None)
        devices = gpus if (gpus or (pool and self._is_gpu(pool))) else cpus
        return [Usage("job", devices * elapsed, cpus * elapsed, elapsed, started, ended,
                      _exit_code(record["exit"]), "sacct")]

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
