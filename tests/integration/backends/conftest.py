"""Real schedulers for the backend tests: a single-host Slurm with slurmdbd, and a Ray head.

Each is started once per session by the test run itself and stopped by the PIDs it started (never
`ray stop`, never by name). Missing software skips the tests with a one-line reason on a developer's
machine; in CI (env CI set) it fails instead: CI must run them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI must run these tests; see scripts/ci-install-backends.sh)")
    pytest.skip(what)


def _cluster_script() -> Any:
    spec = importlib.util.spec_from_file_location("slurm_cluster", ROOT / "scripts" / "slurm-cluster.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[dict[str, Any]]:
    """A running Slurm (4 fake nodes × 4 CPUs × 2 fake GPUs, partition `debug`) with accounting."""
    if not (shutil.which("slurmctld", path="/usr/sbin:" + os.environ.get("PATH", "")) and shutil.which("sbatch")
            and shutil.which("slurmdbd", path="/usr/sbin")):
        _missing("Slurm is not installed (slurm-wlm, slurmdbd)")
    if os.geteuid() != 0:
        _missing("the Slurm test cluster must be started as root")
    if not shutil.which("mysql"):
        _missing("MariaDB client/server is not installed")
    script = _cluster_script()
    directory = Path(tempfile.mkdtemp(prefix="suanli-slurm-"))
    database = f"slurm_acct_db_t{uuid.uuid4().hex[:8]}"
    try:
        state = script.start(directory, nodes=4, database=database, drop_database=True)
    except Exception as exc:  # noqa: BLE001 -- any failure to start is reported the same way
        shutil.rmtree(directory, ignore_errors=True)
        pytest.fail(f"could not start the test Slurm: {exc}")
    yield state
    script.stop(directory)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def slurm_script() -> Any:
    """scripts/slurm-cluster.py as a module: start_controller, kill_pid, ... for the fault tests."""
    return _cluster_script()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mentions(pid: str, directory: str) -> bool:
    """Does this process name our Ray temp dir in its command line or hold a file open under it?
    (Ray's agents rename themselves, e.g. "ray::DashboardAgent", but keep their logs open there.)"""
    proc = Path("/proc") / pid
    try:
        if directory in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
            return True
        return any(os.readlink(fd).startswith(directory) for fd in (proc / "fd").iterdir())
    except OSError:
        return False


def _session_pids(directory: Path) -> set[int]:
    """Every process of the Ray head we started: those naming our temp dir, and their descendants."""
    parents: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                parents[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    mine = {pid for pid in parents if pid != os.getpid() and _mentions(str(pid), str(directory))}
    grew = True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in mine and pid not in mine}
        grew = bool(children)
        mine |= children
    return mine - {os.getpid()}


@pytest.fixture(scope="session")
def ray_head() -> Iterator[str]:
    """A Ray head with 2 CPUs and the dashboard (Jobs API) on free ports; yields its address."""
    ray_bin = Path(sys.executable).parent / "ray"
    if importlib.util.find_spec("ray") is None or not ray_bin.exists():
        _missing("Ray is not installed (pip install 'ray[default]==2.60.0')")
    directory = Path(tempfile.mkdtemp(prefix="suanli-ray-", dir="/tmp"))
    port, dashboard = _free_port(), _free_port()
    # Every port free and our own, so this head never collides with another Ray on the host.
    ports = {name: _free_port() for name in ("node-manager", "object-manager", "dashboard-agent-listen",
                                             "dashboard-agent-grpc", "metrics-export", "runtime-env-agent",
                                             "ray-client-server")}
    args = [str(ray_bin), "start", "--head", "--num-cpus=2", "--num-gpus=0", "--node-ip-address=127.0.0.1",
            "--dashboard-host=127.0.0.1", "--disable-usage-stats", f"--port={port}", f"--dashboard-port={dashboard}",
            f"--temp-dir={directory}", "--include-dashboard=true",
            *(f"--{name}-port={value}" for name, value in ports.items())]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    done = subprocess.run(args, check=False, capture_output=True, text=True, env=env, timeout=120)
    address = f"http://127.0.0.1:{dashboard}"
    try:
        if done.returncode != 0:
            pytest.fail(f"ray start failed: {done.stderr[-500:]}")
        _wait_for_jobs_api(address)
        yield address
    finally:
        _stop_ray(directory)


def _wait_for_jobs_api(address: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status = httpx.get(f"{address}/api/cluster_status", timeout=2)
            if status.status_code == 200 and status.json()["data"]["clusterStatus"]["loadMetricsReport"]["usage"]:
                return
        except (httpx.HTTPError, KeyError, TypeError, ValueError):
            pass
        time.sleep(0.3)
    pytest.fail(f"Ray Jobs API at {address} did not come up")


def _stop_ray(directory: Path) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _session_pids(directory):
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _session_pids(directory):
            time.sleep(0.2)
    shutil.rmtree(directory, ignore_errors=True)
