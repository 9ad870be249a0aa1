#!/usr/bin/env python3
"""Start and stop a real single-host Slurm 22.05 with accounting, for tests and operators.

`start` writes slurm.conf, gres.conf and slurmdbd.conf into a fresh directory owned by `slurm`,
creates a MariaDB user of its own (`slurm_<cluster>`) and an accounting database (`slurm_acct_db` unless told), then
starts slurmdbd, slurmctld and N fake `slurmd -N nX` nodes on localhost (each node: 4 CPUs,
1000 MB, 2 fake GPUs declared as GRES without device files; accounting limits enforced,
`AccountingStorageEnforce=limits`), waits until every node is idle and
writes a JSON state file with the PIDs, ports and the SLURM_CONF path. Authentication is
`auth/none` (no munge daemon needed); pass --munge to use munge instead. `stop` kills only the
PIDs in that state file (never by name) and, if asked at start, drops the accounting database.

    scripts/slurm-cluster.py start --dir /tmp/slurm-x [--nodes 4] [--database NAME] [--drop-database]
    export SLURM_CONF=$(python3 -c 'import json;print(json.load(open("/tmp/slurm-x/cluster.json"))["slurm_conf"])')
    scripts/slurm-cluster.py stop --dir /tmp/slurm-x

Also importable (the test fixture loads it with importlib): `start`, `stop`, `start_controller`,
`kill_pid`.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

STATE_FILE = "cluster.json"
SBIN = Path("/usr/sbin")
CPUS_PER_NODE = 4
GPUS_PER_NODE = 2


def free_ports(count: int) -> list[int]:
    socks, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def _mysql(sql: str) -> None:
    subprocess.run(["mysql", "-uroot", "-e", sql], check=True, capture_output=True, text=True, timeout=30)


def _slurm_conf(d: Path, cluster: str, nodes: int, ports: dict, auth: str) -> str:
    lines = [
        f"ClusterName={cluster}", "SlurmctldHost=localhost", "SlurmUser=slurm",
        f"SlurmctldPort={ports['ctld']}", f"AuthType=auth/{auth}", f"CredType=cred/{auth}",
        "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core", "ReturnToService=2", "MpiDefault=none",
        f"StateSaveLocation={d}/state", f"SlurmctldPidFile={d}/slurmctld.pid", f"SlurmctldLogFile={d}/slurmctld.log",
        "SlurmdParameters=config_overrides", f"SlurmdSpoolDir={d}/spool/%n", f"SlurmdPidFile={d}/slurmd-%n.pid",
        f"SlurmdLogFile={d}/slurmd-%n.log", "SlurmctldTimeout=30", "SlurmdTimeout=300", "InactiveLimit=0",
        "MinJobAge=300", "KillWait=5", "GresTypes=gpu", "AccountingStorageTRES=gres/gpu",
        "AccountingStorageType=accounting_storage/slurmdbd", "AccountingStorageHost=localhost",
        f"AccountingStoragePort={ports['dbd']}", "JobAcctGatherType=jobacct_gather/linux",
        "JobAcctGatherFrequency=5", "SchedulerParameters=sched_interval=2", "MessageTimeout=5",
        "AccountingStorageEnforce=limits",  # per-organisation accounts: their GrpTRESMins hold
    ]
    for i in range(1, nodes + 1):
        lines.append(f"NodeName=n{i} NodeHostname=localhost NodeAddr=127.0.0.1 Port={ports['nodes'][i - 1]} "
                     f"CPUs={CPUS_PER_NODE} RealMemory=1000 Gres=gpu:{GPUS_PER_NODE} State=UNKNOWN")
    lines.append("PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP")
    return "\n".join(lines) + "\n"


def _dbd_conf(d: Path, ports: dict, database: str, user: str, password: str, auth: str) -> str:
    return "\n".join([
        f"AuthType=auth/{auth}", "DbdHost=localhost", f"DbdPort={ports['dbd']}", "SlurmUser=slurm",
        f"PidFile={d}/slurmdbd.pid", f"LogFile={d}/slurmdbd.log", "StorageType=accounting_storage/mysql",
        "StorageHost=127.0.0.1", "StoragePort=3306", f"StorageUser={user}", f"StoragePass={password}",
        f"StorageLoc={database}",
    ]) + "\n"


def _spawn(args: list[str], env: dict[str, str], log: Path) -> int:
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    return proc.pid


def _env(conf: Path) -> dict[str, str]:
    return {**os.environ, "SLURM_CONF": str(conf)}


def _wait(check, what: str, timeout: float, state: dict) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        dead = [name for name, pid in state["pids"].items() if not _alive(pid)]
        if dead:
            deadline = 0  # a daemon died: report at once with its log
            break
        time.sleep(0.2)
    logs = Path(state["dir"])
    tail = ""
    for name in ("slurmdbd.log", "slurmctld.log"):
        if (logs / name).exists():
            tail += f"\n--- {name}\n" + "\n".join((logs / name).read_text(errors="replace").splitlines()[-15:])
    raise RuntimeError(f"timed out waiting for {what}{tail}")


def _ok(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess | None:
    try:
        done = subprocess.run(args, check=False, env=env, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return None
    return done if done.returncode == 0 else None


def start_munge(d: Path) -> int:
    sock_dir = d / "munge"
    sock_dir.mkdir(exist_ok=True)
    shutil.chown(sock_dir, "munge", "munge")
    args = ["setpriv", "--reuid=munge", "--regid=munge", "--clear-groups", str(SBIN / "munged"), "--foreground",
            f"--socket={sock_dir}/munge.socket.2", f"--pid-file={sock_dir}/munged.pid", "--force"]
    return _spawn(args, dict(os.environ), d / "munged.log")


def start_controller(state: dict) -> int:
    """Start slurmctld (again) with the saved state, and wait until it answers."""
    conf = Path(state["slurm_conf"])
    env = _env(conf)
    pid = _spawn([str(SBIN / "slurmctld"), "-D", "-i"], env, Path(state["dir"]) / "slurmctld.out")
    state["pids"]["slurmctld"] = pid
    _save(state)  # recorded before waiting, so `stop` finds it even if it never answers
    _wait(lambda: (r := _ok(["scontrol", "ping"], env)) is not None and "UP" in r.stdout, "slurmctld", 30, state)
    _save(state)
    return pid


def start(d: Path, *, nodes: int = 4, database: str = "slurm_acct_db", drop_database: bool = False,
          munge: bool = False, timeout: float = 60.0) -> dict:
    if (d / STATE_FILE).exists():
        raise RuntimeError(f"{d / STATE_FILE} exists: stop that cluster first")
    d.mkdir(parents=True, exist_ok=True)
    for sub in ("state", "spool", "work"):
        (d / sub).mkdir(exist_ok=True)
    for i in range(1, nodes + 1):
        (d / "spool" / f"n{i}").mkdir(exist_ok=True)
    pw = pwd.getpwnam("slurm")
    all_ports = free_ports(2 + nodes)
    ports = {"ctld": all_ports[0], "dbd": all_ports[1], "nodes": all_ports[2:]}
    auth = "munge" if munge else "none"
    cluster = "c" + secrets.token_hex(4)
    password = secrets.token_hex(12)
    # Each cluster gets its own MariaDB account, so clusters started side by side never reset
    # each other's password.
    user = f"slurm_{cluster}"
    grants = "".join(f"CREATE USER IF NOT EXISTS '{user}'@'{host}' IDENTIFIED BY '{password}';"
                     f"GRANT ALL ON `{database}`.* TO '{user}'@'{host}';" for host in ("localhost", "127.0.0.1"))
    _mysql(f"CREATE DATABASE IF NOT EXISTS `{database}`;" + grants)
    conf = d / "slurm.conf"
    conf.write_text(_slurm_conf(d, cluster, nodes, ports, auth))
    # Slurm drops file-less GPUs, so each fake GPU is a character device node equal to /dev/null.
    (d / "dev").mkdir(exist_ok=True)
    for g in range(GPUS_PER_NODE):
        if not (d / "dev" / f"gpu{g}").exists():
            os.mknod(d / "dev" / f"gpu{g}", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    (d / "gres.conf").write_text(f"NodeName=n[1-{nodes}] Name=gpu File={d}/dev/gpu[0-{GPUS_PER_NODE - 1}]\n")
    (d / "slurmdbd.conf").write_text(_dbd_conf(d, ports, database, user, password, auth))
    (d / "slurmdbd.conf").chmod(0o600)
    for path in [d, *d.rglob("*")]:
        os.chown(path, pw.pw_uid, pw.pw_gid)
    d.chmod(0o755)
    (d / "work").chmod(0o1777)
    state = {"dir": str(d), "slurm_conf": str(conf), "cluster": cluster, "database": database, "db_user": user,
             "drop_database": drop_database, "partition": "debug", "nodes": nodes, "cpus_per_node": CPUS_PER_NODE,
             "gpus_per_node": GPUS_PER_NODE, "ports": ports, "workdir": str(d / "work"), "pids": {}}
    _save(state)
    env = _env(conf)
    try:
        if munge:
            state["pids"]["munged"] = start_munge(d)
        state["pids"]["slurmdbd"] = _spawn([str(SBIN / "slurmdbd"), "-D"], env, d / "slurmdbd.out")
        _wait(lambda: _port_open(ports["dbd"]), "slurmdbd", timeout, state)
        _ok(["sacctmgr", "-i", "add", "cluster", cluster], env)
        start_controller(state)
        for i in range(1, nodes + 1):
            state["pids"][f"slurmd-n{i}"] = _spawn([str(SBIN / "slurmd"), "-D", "-N", f"n{i}"], env, d / f"slurmd-n{i}.out")
        _save(state)
        _wait(lambda: _idle_nodes(env) >= nodes, f"{nodes} idle nodes", timeout, state)
    except BaseException:
        stop(d)
        raise
    return state


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _idle_nodes(env: dict[str, str]) -> int:
    done = _ok(["sinfo", "-h", "-N", "-o", "%N %t"], env)
    if done is None:
        return 0
    return sum(1 for line in done.stdout.splitlines() if line.split()[-1] == "idle")


def _save(state: dict) -> None:
    path = Path(state["dir"]) / STATE_FILE
    path.write_text(json.dumps(state, indent=2))


def load(d: Path) -> dict:
    return json.loads((d / STATE_FILE).read_text())


def kill_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM one process we started, SIGKILL it if it lingers."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            if not Path(f"/proc/{pid}").exists() or _zombie(pid):
                return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def stop(d: Path) -> None:
    path = d / STATE_FILE
    if not path.exists():
        return
    state = json.loads(path.read_text())
    # Nodes first, then the controller, then accounting: each stops cleanly with its peers still up.
    order = sorted(state["pids"], key=lambda k: (not k.startswith("slurmd-"), k != "slurmctld", k))
    for name in order:
        kill_pid(state["pids"][name])
    try:
        drop = f"DROP DATABASE IF EXISTS `{state['database']}`;" if state.get("drop_database") else ""
        _mysql(drop + "".join(f"DROP USER IF EXISTS '{state['db_user']}'@'{h}';" for h in ("localhost", "127.0.0.1")))
    except (subprocess.SubprocessError, OSError, KeyError):
        pass
    path.unlink()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--database", default="slurm_acct_db")
    parser.add_argument("--drop-database", action="store_true", help="drop the accounting database at stop")
    parser.add_argument("--munge", action="store_true", help="authenticate with munge instead of auth/none")
    args = parser.parse_args(argv)
    if args.action == "start":
        state = start(args.dir, nodes=args.nodes, database=args.database, drop_database=args.drop_database,
                      munge=args.munge)
        print(json.dumps(state, indent=2))
    elif args.action == "stop":
        stop(args.dir)
    else:
        print(json.dumps(load(args.dir), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
