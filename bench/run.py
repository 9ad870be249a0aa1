"""Run every benchmark module in bench/ and write bench/results.json.

Each module `bench/bench_*.py` exposes `run() -> dict[str, dict]`: result keys as named in
CONTRACT.md, each value `{"value", "unit", ...}`. A failing module is reported, not fatal, so one
broken benchmark does not hide the others' figures.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> dict[str, object]:
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE))
    only = set(argv)
    results: dict[str, object] = {}
    out = HERE / "results.json"
    if out.exists():
        results = json.loads(out.read_text())
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem
        if only and name not in only:
            continue
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(name)
            figures = module.run()
        except Exception:  # noqa: BLE001 - report and keep going
            traceback.print_exc()
            continue
        for key, figure in figures.items():
            figure.setdefault("machine", machine())
            results[key] = figure
            print(f"   {key}: {figure.get('value')} {figure.get('unit', '')}"
                  + (f"  (peer {figure['peer']}: {figure.get('peer_value')})" if "peer" in figure else ""))
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
