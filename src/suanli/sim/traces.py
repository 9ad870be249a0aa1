"""Job traces for the time-based replay: openb CSV, the Standard Workload Format, a generic CSV.

Every loader returns a `Trace` of parallel NumPy arrays sorted by submit time: seconds since
the trace start, run time, accelerator demand in milli-devices, CPU demand in milli-CPU (or whole
nodes), memory, the organisation that submits, and the run-time estimate a backfilling scheduler
may use (the requested time in SWF; the true run time elsewhere, i.e. perfect estimates). Each
job keeps its real resource kind: an openb pod asks for GPUs (or only CPU), an SWF job for CPU
cores of a supercomputer. Bad files raise
`SimInputError` with one line naming the file and row.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from suanli.sim import SimInputError

MAX_TRACE_VALUE = 1e15  # seconds (31 million years), milli-devices, MiB: far past any log, inside int64


@dataclass(frozen=True)
class Trace:
    submit: np.ndarray  # float seconds
    duration: np.ndarray  # float seconds, > 0
    gpu_milli: np.ndarray  # int, total over devices
    cpu_milli: np.ndarray  # int (0 for a job counted in whole nodes)
    org: np.ndarray  # int organisation index (home-center broker, reports)
    estimate: np.ndarray  # float seconds, run-time estimate for backfilling
    source: str = ""
    mem_mib: np.ndarray | None = None  # int, total over the job; 0 = not known (not checked)
    nodes: np.ndarray | None = None  # int whole nodes asked for (SWF logs counting nodes), else 0
    meta: dict[str, object] = field(default_factory=dict)  # header facts (SWF UnixStartTime, ...)

    def __post_init__(self) -> None:
        n = len(self.submit)
        if self.mem_mib is None:
            object.__setattr__(self, "mem_mib", np.zeros(n, np.int64))
        if self.nodes is None:
            object.__setattr__(self, "nodes", np.zeros(n, np.int64))

    def __len__(self) -> int:
        return len(self.submit)

    @property
    def kind(self) -> str:
        """"gpu" when any job asks for accelerators, else "cpu": what utilisation is measured in."""
        return "gpu" if bool((self.gpu_milli > 0).any()) else "cpu"

    @classmethod
    def build(cls, rows: list[tuple[float, ...]], source: str, meta: dict[str, object] | None = None) -> Trace:
        """Rows of (submit, duration, gpu_milli, cpu_milli, org, estimate[, mem_mib, nodes])."""
        if not rows:
            raise SimInputError(f"{source}: no usable jobs in the trace")
        a = np.array([r if len(r) == 8 else (*r, 0, 0) for r in rows], dtype=np.float64)
        beyond = np.flatnonzero(~(np.abs(a) <= MAX_TRACE_VALUE).all(axis=1))
        if beyond.size:  # 1e300 GPUs would be cast to int64 as garbage and replayed as if real
            raise SimInputError(f"{source}: job {beyond[0] + 1} (in file order) has a figure past any real trace "
                                f"(at most {MAX_TRACE_VALUE:.0e} seconds, milli-devices or MiB)")
        order = np.argsort(a[:, 0], kind="stable")
        a = a[order]
        meta = dict(meta or {})
        meta["first_submit_s"] = float(a[0, 0])
        a[:, 0] -= a[0, 0]  # seconds since the first submission
        return cls(a[:, 0], a[:, 1], a[:, 2].astype(np.int64), a[:, 3].astype(np.int64),
                   a[:, 4].astype(np.int64), np.maximum(a[:, 5], a[:, 1]), source,
                   a[:, 6].astype(np.int64), a[:, 7].astype(np.int64), meta)


def load_trace(path: str | Path, fmt: str = "auto", swf_units: str = "auto") -> Trace:
    path = Path(path)
    if not path.is_file():
        raise SimInputError(f"{path}: no such trace file")
    if fmt == "auto":
        fmt = "swf" if path.suffix.lower() == ".swf" else "csv"
    if fmt == "swf":
        return load_swf(path, swf_units)
    if fmt != "csv":
        raise SimInputError(f"unknown trace format {fmt!r}; use swf or csv")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
        if {"creation_time", "deletion_time", "num_gpu"} <= set(header):
            return load_openb(path)
        return load_generic_csv(path)
    except UnicodeDecodeError as exc:  # a GBK or UTF-16 export: one line, not a traceback
        raise SimInputError(f"{path}: not UTF-8 text (byte {exc.start + 1}); save the trace as UTF-8 CSV") from None
    except csv.Error as exc:
        raise SimInputError(f"{path}: cannot read CSV ({exc})") from None


def _num(path: Path, line: int, text: str, column: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise SimInputError(f"{path}:{line}: {column} is not a number: {text!r}") from None
    if not math.isfinite(value):  # nan, inf, 1e309: no duration or device count, and int() of one raises
        raise SimInputError(f"{path}:{line}: {column} is not a finite number: {text!r}")
    return value


def load_openb(path: Path) -> Trace:
    """openb pod list: run time = deletion - creation; pods without both times are skipped.

    The trace has no organisation column, so organisations are assigned round-robin by row
    (documented in docs/simulator.md); the home-center baseline needs one per job.
    """
    rows = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            start, end = row.get("creation_time", ""), row.get("deletion_time", "")
            if not start or not end:
                continue
            begin, finish = _num(path, line, start, "creation_time"), _num(path, line, end, "deletion_time")
            if finish <= begin:
                continue
            gpus = _num(path, line, row["num_gpu"], "num_gpu") * _num(path, line, row.get("gpu_milli") or "0", "gpu_milli")
            cpu = _num(path, line, row.get("cpu_milli") or "0", "cpu_milli")
            mem = _num(path, line, row.get("memory_mib") or "0", "memory_mib")
            rows.append((begin, finish - begin, int(gpus), int(cpu), line, finish - begin, int(mem), 0))
    return Trace.build(rows, str(path))


# The 18 SWF fields (Parallel Workloads Archive, version 2.2), 1-based as the standard numbers them.
SWF_FIELDS = ("job number", "submit time", "wait time", "run time", "allocated processors",
              "average CPU time used", "used memory", "requested processors", "requested time",
              "requested memory", "status", "user id", "group id", "executable number", "queue number",
              "partition number", "preceding job number", "think time")
SWF_UNITS = ("auto", "cores", "nodes")


def swf_header(path: Path, lines: list[tuple[int, str]]) -> dict[str, str]:
    """`; Key: value` header comments (UnixStartTime, TimeZoneString, MaxProcs, MaxNodes, ...)."""
    header: dict[str, str] = {}
    for _, text in lines:
        body = text[1:].strip()
        key, sep, value = body.partition(":")
        if sep and key.strip() and " " not in key.strip():
            header.setdefault(key.strip(), value.strip())
    return header


def _header_int(path: Path, header: dict[str, str], key: str) -> int | None:
    if key not in header:
        return None
    try:
        return int(float(header[key].split()[0]))
    except (ValueError, IndexError):
        raise SimInputError(f"{path}: header {key} is not a number: {header[key]!r}") from None


def load_swf(path: Path, units: str = "auto") -> Trace:
    """Standard Workload Format (Parallel Workloads Archive): 18 whitespace-separated numeric fields,
    ';' comments (the header), -1 for unknown. Processors become CPU cores, or whole nodes when the
    header says the log counts nodes (`MaxNodes` without `MaxProcs`) or `units="nodes"`; memory is
    the requested (else used) KB per processor. The group (else the user) is the organisation, the
    requested time the backfilling estimate. A malformed row is one error naming its line."""
    if units not in SWF_UNITS:
        raise SimInputError(f"unknown SWF unit {units!r}; choose from {', '.join(SWF_UNITS)}")
    comments: list[tuple[int, str]] = []
    rows = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        numbered = list(enumerate(handle, start=1))
    for line, text in numbered:
        text = text.strip()
        if text.startswith(";"):
            comments.append((line, text))
    header = swf_header(path, comments)
    max_procs, max_nodes = _header_int(path, header, "MaxProcs"), _header_int(path, header, "MaxNodes")
    start_epoch = _header_int(path, header, "UnixStartTime")
    if units == "auto":
        units = "nodes" if max_nodes is not None and max_procs is None else "cores"
    skipped = 0
    for line, text in numbered:
        text = text.strip()
        if not text or text.startswith(";"):
            continue
        fields = text.split()
        if len(fields) != 18:
            raise SimInputError(f"{path}:{line}: an SWF line has 18 fields, found {len(fields)}")
        f = []
        for i, x in enumerate(fields):
            value = _num(path, line, x, f"field {i + 1} ({SWF_FIELDS[i]})")
            if value < 0 and value != -1:
                raise SimInputError(f"{path}:{line}: field {i + 1} ({SWF_FIELDS[i]}) is {x}; "
                                    "SWF values are >= 0, or -1 for unknown")
            f.append(value)
        if f[0] < 1 or f[1] < 0:
            raise SimInputError(f"{path}:{line}: field {1 if f[0] < 1 else 2} "
                                f"({SWF_FIELDS[0 if f[0] < 1 else 1]}) must be known and positive")
        submit, run, procs, req_procs, req_time, user, group = f[1], f[3], f[4], f[7], f[8], f[11], f[12]
        procs = procs if procs > 0 else req_procs
        if run <= 0 or procs <= 0:
            skipped += 1
            continue  # cancelled or unknown jobs carry no work to replay
        kb = f[9] if f[9] > 0 else f[6]  # requested, else used, memory in KB per processor
        mem_mib = int(-(-kb * procs // 1024)) if kb > 0 else 0
        org = group if group >= 0 else max(user, 0)
        cores, nodes = (0, int(procs)) if units == "nodes" else (int(procs), 0)
        rows.append((submit, run, 0, cores * 1000, int(org), req_time if req_time > 0 else run, mem_mib, nodes))
    meta: dict[str, object] = {"format": "swf", "units": units, "skipped": skipped}
    if start_epoch is not None:
        meta["unix_start_time"] = start_epoch
    for key in ("TimeZoneString", "Computer", "Installation"):
        if key in header:
            meta[key] = header[key]
    if max_procs is not None:
        meta["max_procs"] = max_procs
    if max_nodes is not None:
        meta["max_nodes"] = max_nodes
    return Trace.build(rows, str(path), meta)


def load_generic_csv(path: Path) -> Trace:
    """Columns submit_s, duration_s, gpus (devices, may be fractional); optional cpus, org, estimate_s."""
    rows = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"submit_s", "duration_s", "gpus"} - set(reader.fieldnames or [])
        if missing:
            raise SimInputError(f"{path}: missing column(s) {', '.join(sorted(missing))} "
                                "(expected openb columns or submit_s,duration_s,gpus)")
        for line, row in enumerate(reader, start=2):
            duration = _num(path, line, row["duration_s"], "duration_s")
            if duration <= 0:
                continue
            estimate = _num(path, line, row.get("estimate_s") or row["duration_s"], "estimate_s")
            rows.append((_num(path, line, row["submit_s"], "submit_s"), duration,
                         round(_num(path, line, row["gpus"], "gpus") * 1000),
                         round(_num(path, line, row.get("cpus") or "0", "cpus") * 1000),
                         int(_num(path, line, row.get("org") or str(line), "org")), estimate))
    return Trace.build(rows, str(path))
