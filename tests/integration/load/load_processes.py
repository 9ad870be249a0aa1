"""`suanli worker` processes for the several-processes tests, started as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src"
sys.path.insert(0, str(SRC.parent / "bench"))

import bench_load


def start_worker(db_url: str, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    """A `suanli worker` on the database, its log in a file (never an undrained pipe)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUANLI_")}
    # Each worker on one host gets a /metrics port of its own, as two systemd instances would.
    env.update(PYTHONPATH=f"{SRC}{os.pathsep}{env.get('PYTHONPATH', '')}", SUANLI_DATABASE_URL=db_url,
               SUANLI_DATA_DIR=str(data_dir), SUANLI_WORKER_METRICS_PORT=str(bench_load.free_port()))
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "suanli", "worker", "--interval", "0.2"], env=env,
                                stdout=subprocess.DEVNULL, stderr=out)
