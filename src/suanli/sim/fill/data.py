"""Read the openb node list and pod list (CSV) into NumPy arrays for the fill experiment.

Both loaders check the header and every number, and raise `SimInputError` with one readable
line naming the file and row, so the CLI can print it instead of a traceback. A pod's
`gpu_spec` (GPU models it accepts, `|`-separated) becomes a bit mask over the node models.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from suanli.sim import SimInputError

MILLI = 1000
# A bit no node carries: a pod asking only for models absent from the node list fits nowhere.
NO_SUCH_MODEL = np.int64(1 << 62)


@dataclass(frozen=True)
class NodeList:
    names: list[str]
    cpu: np.ndarray  # milli-CPU
    mem: np.ndarray  # MiB
    gpus: np.ndarray  # GPU count
    model_bit: np.ndarray  # 1 << model index, 0 for CPU-only nodes
    models: list[str]

    @property
    def total_gpu_milli(self) -> int:
        return int(self.gpus.sum()) * MILLI


@dataclass(frozen=True)
class PodList:
    names: list[str]
    cpu: np.ndarray
    mem: np.ndarray
    num_gpu: np.ndarray
    gpu_milli: np.ndarray  # per GPU; 0 for CPU-only pods
    spec_mask: np.ndarray  # 0 = any model
    spec: list[str]  # normalised gpu_spec text, for the typical-pod tuples

    def __len__(self) -> int:
        return len(self.names)


MAX_FIELD = 10**12  # milli-CPUs, MiB, GPUs: a thousand times the largest machine, well inside int64


def _rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise SimInputError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = list(reader)
    except FileNotFoundError:
        raise SimInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SimInputError(f"{path}: cannot read CSV ({exc})") from None
    if not rows:
        raise SimInputError(f"{path}: no rows")
    return rows


def _int(path: Path, line: int, row: dict[str, str], column: str, default: int | None = None) -> int:
    text = (row.get(column) or "").strip()
    if not text and default is not None:
        return default
    try:
        value = int(float(text))
    except (ValueError, OverflowError):  # OverflowError: inf or 1e309
        raise SimInputError(f"{path}:{line}: column {column!r} is not a number: {text!r}") from None
    if value < 0:
        raise SimInputError(f"{path}:{line}: column {column!r} is negative: {value}")
    if value > MAX_FIELD:  # 1e300 parses, then overflows the int64 arrays the simulator packs into
        raise SimInputError(f"{path}:{line}: column {column!r} is {text}, past any real node or pod (at most {MAX_FIELD})")
    return value


def load_nodes(path: str | Path) -> NodeList:
    path = Path(path)
    rows = _rows(path, ("sn", "cpu_milli", "memory_mib", "gpu", "model"))
    models: list[str] = []
    names, cpu, mem, gpus, bits = [], [], [], [], []
    for line, row in enumerate(rows, start=2):
        names.append(row["sn"])
        cpu.append(_int(path, line, row, "cpu_milli"))
        mem.append(_int(path, line, row, "memory_mib"))
        count = _int(path, line, row, "gpu")
        gpus.append(count)
        model = (row.get("model") or "").strip()
        if count and model not in models:
            models.append(model)
        bits.append(1 << models.index(model) if count else 0)
    if len(models) > 60:
        raise SimInputError(f"{path}: more than 60 GPU models")
    return NodeList(names, np.array(cpu, np.int64), np.array(mem, np.int64), np.array(gpus, np.int64),
                    np.array(bits, np.int64), models)


def load_pods(path: str | Path, models: list[str]) -> PodList:
    """Load a pod list sorted by name (the published workload starts from name order)."""
    path = Path(path)
    rows = _rows(path, ("name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"))
    parsed = []
    for line, row in enumerate(rows, start=2):
        num_gpu = _int(path, line, row, "num_gpu")
        milli = _int(path, line, row, "gpu_milli", default=0) if num_gpu else 0
        if num_gpu and not 0 < milli <= MILLI:
            raise SimInputError(f"{path}:{line}: gpu_milli must be in 1..1000 for a GPU pod, got {milli}")
        if num_gpu > 1 and milli != MILLI:
            raise SimInputError(f"{path}:{line}: a fractional GPU (gpu_milli < 1000) needs num_gpu == 1")
        spec = "|".join(sorted(s for s in (row.get("gpu_spec") or "").strip().split("|") if s))
        mask = 0
        for model in spec.split("|") if spec else ():
            if model in models:
                mask |= 1 << models.index(model)
        if spec and not mask:
            mask = int(NO_SUCH_MODEL)
        parsed.append((row["name"], _int(path, line, row, "cpu_milli"), _int(path, line, row, "memory_mib"),
                       num_gpu, milli, mask, spec))
    parsed.sort(key=lambda p: p[0])
    cols = list(zip(*parsed))
    return PodList(list(cols[0]), np.array(cols[1], np.int64), np.array(cols[2], np.int64),
                   np.array(cols[3], np.int64), np.array(cols[4], np.int64), np.array(cols[5], np.int64),
                   list(cols[6]))
