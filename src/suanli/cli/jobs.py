"""Commands that talk to a running server with the saved token: login, centers, submit, jobs (like
squeue), job show/cancel/logs (with `--follow`, like `sky logs`)."""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any

import httpx
import typer

from suanli.cli import client
from suanli.cli.common import (
    Column,
    Format,
    JsonFlag,
    Output,
    chosen,
    console,
    emit,
    fail,
    fen_of_yuan,
    print_json,
    seconds_of,
    short_time,
    usage,
)

job_app = typer.Typer(help="One job: show, cancel, logs.", no_args_is_help=True)
FINAL_STATES = {"succeeded", "failed", "timed_out", "cancelled", "lost"}


def login(
    username: Annotated[str, typer.Option(help="your user name")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, envvar="SUANLI_PASSWORD")],
    url: Annotated[str | None, typer.Option(
        envvar="SUANLI_URL", help="the server's address, e.g. http://127.0.0.1:8080 for a server started with "
                                  "`suanli serve --port 8080` (default http://127.0.0.1:8000)")] = None,
) -> None:
    """Sign in and save an API token (and the server's address) for the other commands."""
    address = client.base_url(url) if url else client.base_url()
    try:
        response = httpx.post(f"{address}/api/v1/auth/login", json={"username": username, "password": password},
                              timeout=client.TIMEOUT_S)
    except httpx.TransportError as exc:
        fail(client.unreachable(address, exc))
    if response.status_code != 200:
        fail(f"sign-in refused: {client.problem_line(response)}")
    body = response.json()
    path = client.save_credentials(address, body["token"])
    console.print(f"signed in to {address} as {body['username']} ({body['role']}), token valid until "
                  f"{short_time(body['expires_at'])}; saved in {path}. Another server: "
                  "`suanli login --url http://HOST:PORT` or SUANLI_URL.", highlight=False)


CENTER_COLUMNS = [
    Column("center", lambda r: r["center"]["name"]), Column("中心", lambda r: r["center"]["name_zh"]),
    Column("pool", lambda r: r["pool"]["name"]), Column("accelerator", lambda r: r["pool"]["model"]),
    Column("ecosystem", lambda r: r["pool"]["ecosystem"]), Column("devices", lambda r: r["pool"]["total_devices"]),
    Column("free", lambda r: r["pool"]["free_devices"]),
    Column("¥/device-hour", lambda r: r["pool"]["price_fen_per_device_hour"], money=True),
    Column("backend", lambda r: r["center"]["backend_kind"] + (" (simulated)" if r["center"]["simulated"] else "")),
]


def centers(output: Output = None, as_json: JsonFlag = False) -> None:
    """The federation's centers and pools with prices (yuan per device-hour; fen in JSON)."""
    found = client.get("/api/v1/centers")
    rows = [{"center": c, "pool": p} for c in found for p in c["pools"]]
    emit(rows, CENTER_COLUMNS, chosen(output, as_json), "算力中心 Centers", data=found)


def submit(
    command: Annotated[str, typer.Argument(help="shell command to run")],
    name: Annotated[str, typer.Option(help="job name")] = "job",
    devices: Annotated[int, typer.Option(min=1)] = 1,
    ecosystem: Annotated[list[str], typer.Option(help="cuda, cann, rocm/dtk, cpu (repeatable)")] = [],  # noqa: B006
    models: Annotated[str, typer.Option(help="accelerator models, e.g. 'A800|H800'")] = "",
    min_device_memory: Annotated[int, typer.Option(min=0, help="GB per device")] = 0,
    time_limit: Annotated[str, typer.Option(help="HH:MM:SS, 2h, 90m or seconds")] = "3600",
    center: Annotated[str | None, typer.Option(help="center name (with --pool)")] = None,
    pool: Annotated[str | None, typer.Option(help="pool name (with --center)")] = None,
    auto: Annotated[bool, typer.Option("--auto", help="let the broker choose the center")] = False,
    prefer: Annotated[str, typer.Option(help="with --auto: cheapest, fastest, greenest or balanced")] = "balanced",
    max_price: Annotated[str | None, typer.Option(help="with --auto: most the job may cost, in yuan")] = None,
    nodes: Annotated[int | None, typer.Option(min=1, help="span this many nodes (pools with max_nodes > 1)")] = None,
    tasks_per_node: Annotated[int, typer.Option(min=1, help="tasks on each node (srun starts them)")] = 1,
    output: Output = None,
    as_json: JsonFlag = False,
) -> None:
    """Submit a job to a named pool, or with --auto to the broker's best option."""
    fmt = chosen(output, as_json)
    if auto and (center or pool):
        usage("--auto chooses the center itself: drop --center/--pool")
    if not auto and not (center and pool):
        usage("name --center and --pool, or use --auto")
    if max_price is not None and not auto:
        usage("--max-price goes with --auto (the broker keeps to it)")
    body: dict[str, Any] = {
        "name": name, "command": command, "time_limit_s": seconds_of(time_limit, "--time-limit"), "center": center,
        "pool": pool, "resources": {"devices": devices, "ecosystems": ecosystem, "min_device_memory_gb": min_device_memory,
                                    "models": [m for m in models.split("|") if m]}}
    if nodes is not None:
        body["resources"]["nodes"] = nodes
    if tasks_per_node != 1:
        body["resources"]["tasks_per_node"] = tasks_per_node
    if auto:
        body["preferences"] = {"prefer": prefer, "max_price_fen": fen_of_yuan(max_price, "--max-price")}
    job = client.post("/api/v1/jobs", body)
    if fmt is Format.TABLE:
        console.print(f"submitted job {job['id']} ({job['state']})")
    else:
        emit([job], JOB_COLUMNS, fmt, data=job)


JOB_COLUMNS = [
    Column("id", "id"), Column("name", "name"), Column("state", "state"), Column("devices", "devices"),
    Column("pool", "pool_id"), Column("started", lambda j: short_time(j["started_at"])),
    Column("ended", lambda j: short_time(j["ended_at"])), Column("reason", lambda j: (j["reason"] or "")[:60]),
]


def jobs(
    state: Annotated[list[str], typer.Option(help="filter by state (repeatable)")] = [],  # noqa: B006
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    output: Output = None,
    as_json: JsonFlag = False,
) -> None:
    """Your jobs, newest first (like squeue)."""
    found = client.get_all("/api/v1/jobs", limit=limit, state=state)
    emit(found, JOB_COLUMNS, chosen(output, as_json), "作业 Jobs")


@job_app.command("show")
def show(job_id: int, output: Output = None, as_json: JsonFlag = False) -> None:
    """A job with its history and metered usage."""
    job = client.get(f"/api/v1/jobs/{job_id}")
    fmt = chosen(output, as_json)
    if fmt is Format.JSON:
        print_json(job)
        return
    if fmt is Format.CSV:
        emit([job], JOB_COLUMNS, fmt)
        return
    console.print(f"job {job['id']} {job['name']}: {job['state']}  exit={job['exit_code']}")
    for e in job["events"]:
        console.print(f"  {short_time(e['created_at'])}  {e['from_state'] or '-'} -> {e['to_state']}  {e['reason'] or ''}",
                      markup=False, highlight=False)
    for u in job["usage"]:
        console.print(f"  usage {u['step']}: {u['device_seconds']} device-s, {u['core_seconds']} core-s ({u['source']})")


@job_app.command("cancel")
def cancel(job_id: int) -> None:
    """Cancel a queued or running job."""
    job = client.post(f"/api/v1/jobs/{job_id}/cancel")
    console.print(f"job {job['id']}: {job['state']}")


@job_app.command("logs")
def logs(job_id: int, stderr: Annotated[bool, typer.Option("--stderr")] = False,
         follow: Annotated[bool, typer.Option("--follow", "-f", help="keep printing until the job ends")] = False,
         interval: Annotated[float, typer.Option(min=0.1, max=60, help="seconds between polls with --follow")] = 1.0,
         ) -> None:
    """Print a job's stdout (or stderr); with --follow, poll until the job ends, then exit with 0 if
    it succeeded and 1 if not."""
    stream = "stderr" if stderr else "stdout"
    if not follow:
        _write(client.get(f"/api/v1/jobs/{job_id}/logs", stream=stream, limit=1_000_000))
        return
    printed = 0
    while True:
        state = client.get(f"/api/v1/jobs/{job_id}")["state"]  # read first: logs read after it are complete
        text = client.get(f"/api/v1/jobs/{job_id}/logs", stream=stream, limit=1_000_000)
        if len(text) < printed:  # the server keeps a window of the tail: start again from its beginning
            printed = 0
        _write(text[printed:])
        printed = len(text)
        if state in FINAL_STATES:
            typer.echo(f"job {job_id}: {state}", err=True)
            raise typer.Exit(0 if state == "succeeded" else 1)
        time.sleep(interval)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def mount(app: typer.Typer) -> None:
    for command in (login, centers, submit, jobs):
        app.command()(command)
    app.add_typer(job_app, name="job")
