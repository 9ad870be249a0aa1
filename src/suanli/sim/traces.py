"""Job traces for the time-based replay: openb CSV, the Standard Workload Format, a generic CSV.

Every loader returns a `Trace` of parallel NumPy arrays sorted by submit time: seconds since
the trace start, run time, accelerator demand in milli-devices, CPU demand in milli-CPU, the
organisation that submits, and the run-time estimate a backfilling scheduler may use (the
requested time in SWF; the true run time elsewhere, i.e. perfect estimates). Bad files raise
`SimInputError` with one line naming the file and row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from suanli.sim import SimInputError


@dataclass(frozen=True)
class Trace:
    submit: np.ndarray  # float seconds
    duration: np.ndarray  # float seconds, > 0
    gpu_milli: np.ndarray  # int, total over devices
    cpu_milli: np.ndarray  # int
    org: np.ndarray  # int organisation index (home-center broker, reports)
    estimate: np.ndarray  # float seconds, run-time estimate for backfilling
    source: str = ""

    def __len__(self) -> int:
        return len(self.submit)

    @classmethod
    def build(cls, rows: list[tuple[float, float, int, int, int, float]], source: str) -> Trace:
        if not rows:
            raise SimInputError(f"{source}: no usable jobs in the trace")
        a = np.array(rows, dtype=np.float64)
        order = np.argsort(a[:, 0], kind="stable")
        a = a[order]
        a[:, 0] -= a[0, 0]  # seconds since the first submission
        return cls(a[:, 0], a[:, 1], a[:, 2].astype(np.int64), a[:, 3].astype(np.int64),
                   a[:, 4].astype(np.int64), np.maximum(a[:, 5], a[:, 1]), source)


def load_trace(path: str | Path, fmt: str = "auto") -> Trace:
    path = Path(path)
    if not path.is_file():
        raise SimInputError(f"{path}: no such trace file")
    if fmt == "auto":
        fmt = "swf" if path.suffix.lower() == ".swf" else "csv"
    if fmt == "swf":
        return load_swf(path)
    if fmt != "csv":
        raise SimInputError(f"unknown trace format {fmt!r}; use swf or csv")
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    if {"creation_time", "deletion_time", "num_gpu"} <= set(header):
        return load_openb(path)
    return load_generic_csv(path)


def _num(path: Path, line: int, text: str, column: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise SimInputError(f"{path}:{line}: {column} is not a number: {text!r}") from None


def load_openb(path: Path) -> Trace:
    """openb pod list: run time = deletion - creation; pods without both times are skipped.

    The trace has no organisation column, so organisations are assigned round-robin by row
    (documented in docs/simulator.md); the home-center baseline needs one per job.
    """
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            start, end = row.get("creation_time", ""), row.get("deletion_time", "")
            if not start or not end:
                continue
            begin, finish = _num(path, line, start, "creation_time"), _num(path, line, end, "deletion_time")
            if finish <= begin:
                continue
            gpus = _num(path, line, row["num_gpu"], "num_gpu") * _num(path, line, row.get("gpu_milli") or "0", "gpu_milli")
            cpu = _num(path, line, row.get("cpu_milli") or "0", "cpu_milli")
            rows.append((begin, finish - begin, int(gpus), int(cpu), line, finish - begin))
    return Trace.build(rows, str(path))


def load_swf(path: Path) -> Trace:
    """Standard Workload Format (Parallel Workloads Archive): 18 whitespace-separated fields,
    ';' comments, -1 for unknown. Processors become accelerator devices; the group (else the
    user) is the organisation; the requested time is the backfilling estimate."""
    rows = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line, text in enumerate(handle, start=1):
            text = text.strip()
            if not text or text.startswith(";"):
                continue
            fields = text.split()
            if len(fields) < 18:
                raise SimInputError(f"{path}:{line}: an SWF line has 18 fields, found {len(fields)}")
            f = [_num(path, line, x, f"field {i + 1}") for i, x in enumerate(fields[:18])]
            submit, run, procs, req_procs, req_time, user, group = f[1], f[3], f[4], f[7], f[8], f[11], f[12]
            procs = procs if procs > 0 else req_procs
            if run <= 0 or procs <= 0:
                continue  # cancelled or unknown jobs carry no work to replay
            org = group if group >= 0 else max(user, 0)
            rows.append((submit, run, int(procs * 1000), 0, int(org), req_time if req_time > 0 else run))
    return Trace.build(rows, str(path))


def load_generic_csv(path: Path) -> Trace:
    """Columns submit_s, duration_s, gpus (devices, may be fractional); optional cpus, org, estimate_s."""
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
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
