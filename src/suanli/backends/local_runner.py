"""The supervisor of one local job: runs its command, enforces the time limit, records the outcome.

Started detached (its own session) by the local backend, so jobs outlive a server restart: the
server only reads the files written here. Files in the job directory:
  job.json    the request (written by the backend before the runner starts)
  state.json  {"runner_pid", "pid", "started_at"} once the command runs
  exit.json   {"state", "exit_code", "started_at", "ended_at"} when it ended (written atomically)
  cancel      present when a cancel was asked before the runner started
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

KILL_GRACE_S = 3.0


def write_atomically(path: Path, data: dict[str, object]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def run(job_dir: Path) -> int:
    spec = json.loads((job_dir / "job.json").read_text())
    started = now_iso()
    if (job_dir / "cancel").exists():
        write_atomically(job_dir / "exit.json", {"state": "cancelled", "exit_code": None, "started_at": None,
                                                 "ended_at": started})
        return 0
    work = job_dir / "work"
    work.mkdir(exist_ok=True)
    env = {**os.environ, **spec.get("env", {}), "SUANLI_JOB_ID": str(spec["job_id"])}
    with open(job_dir / "stdout.log", "ab") as out, open(job_dir / "stderr.log", "ab") as err:
        child = subprocess.Popen(["/bin/bash", "-c", spec["command"]], cwd=work, stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    write_atomically(job_dir / "state.json", {"runner_pid": os.getpid(), "pid": child.pid, "started_at": started})
    outcome = {"state": None}

    def on_cancel(_signum: int, _frame: object) -> None:
        outcome["state"] = "cancelled"
        _stop(child)

    signal.signal(signal.SIGTERM, on_cancel)
    try:
        code = child.wait(timeout=spec["time_limit_s"])
    except subprocess.TimeoutExpired:
        outcome["state"] = "timed_out"
        _stop(child)
        code = child.wait()
    state = outcome["state"] or ("succeeded" if code == 0 else "failed")
    write_atomically(job_dir / "exit.json", {"state": state, "exit_code": code, "started_at": started,
                                             "ended_at": now_iso()})
    return 0


def _stop(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM the job's whole process group, then SIGKILL what is left after a grace period."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        if child.poll() is not None:
            return


def main(argv: list[str]) -> int:
    job_dir = Path(argv[-1])
    if "--daemonize" in argv:
        # Double fork: the runner is nobody's child, so it survives the server and never lingers
        # as the server's zombie.
        if os.fork() > 0:
            return 0
        os.setsid()
        if os.fork() > 0:
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
    return run(job_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
