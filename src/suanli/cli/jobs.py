"""Commands that talk to a running server with the saved token: login, centers, submit, jobs (like
squeue), job show/cancel/logs."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from suanli.cli.common import call, console, fail, print_json, save_credentials

job_app = typer.Typer(help="One job: show, cancel, logs.", no_args_is_help=True)


def login(
    username: Annotated[str, typer.Option(help="your user name")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, envvar="SUANLI_PASSWORD")],
    url: Annotated[str, typer.Option(envvar="SUANLI_URL", help="server address")] = "http://127.0.0.1:8000",
) -> None:
    """Sign in and save an API token for the other commands."""
    try:
        response = httpx.post(f"{url}/api/v1/auth/login", json={"username": username, "password": password}, timeout=30)
    except httpx.HTTPError as exc:
        fail(f"cannot reach {url}: {exc}")
    if response.status_code != 200:
        fail(f"sign-in refused: {response.json().get('detail', response.status_code)}")
    body = response.json()
    save_credentials(url, body["token"])
    console.print(f"signed in as {body['username']} ({body['role']}), token valid until {body['expires_at']}")


def centers(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The federation's centers and pools with prices (fen per device-hour)."""
    found = call("GET", "/api/v1/centers")
    if as_json:
        print_json(found)
        return
    table = Table(title="算力中心 Centers")
    for column in ("center", "中心", "pool", "accelerator", "ecosystem", "devices", "free", "¥/device-hour", "backend"):
        table.add_column(column)
    for c in found:
        for p in c["pools"]:
            table.add_row(c["name"], c["name_zh"], p["name"], p["model"], p["ecosystem"], str(p["total_devices"]),
                          "-" if p["free_devices"] is None else str(p["free_devices"]),
                          f"{p['price_fen_per_device_hour'] / 100:.2f}",
                          c["backend_kind"] + (" (simulated)" if c["simulated"] else ""))
    console.print(table)


def submit(
    command: Annotated[str, typer.Argument(help="shell command to run")],
    name: Annotated[str, typer.Option(help="job name")] = "job",
    devices: Annotated[int, typer.Option(min=1)] = 1,
    ecosystem: Annotated[list[str], typer.Option(help="cuda, cann, rocm/dtk, cpu (repeatable)")] = [],  # noqa: B006
    models: Annotated[str, typer.Option(help="accelerator models, e.g. 'A800|H800'")] = "",
    min_device_memory: Annotated[int, typer.Option(min=0, help="GB per device")] = 0,
    time_limit: Annotated[int, typer.Option(min=1, help="seconds")] = 3600,
    center: Annotated[str | None, typer.Option(help="center name (with --pool)")] = None,
    pool: Annotated[str | None, typer.Option(help="pool name (with --center)")] = None,
    auto: Annotated[bool, typer.Option("--auto", help="let the broker choose the center")] = False,
    prefer: Annotated[str, typer.Option(help="with --auto: cheapest, fastest, greenest or balanced")] = "balanced",
    max_price: Annotated[int | None, typer.Option(help="with --auto: most the job may cost, in fen")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Submit a job to a named pool, or with --auto to the broker's best option."""
    if auto and (center or pool):
        fail("--auto chooses the center itself: drop --center/--pool")
    if not auto and not (center and pool):
        fail("name --center and --pool, or use --auto")
    body = {"name": name, "command": command, "time_limit_s": time_limit, "center": center, "pool": pool,
            "resources": {"devices": devices, "ecosystems": ecosystem, "min_device_memory_gb": min_device_memory,
                          "models": [m for m in models.split("|") if m]}}
    if auto:
        body["preferences"] = {"prefer": prefer, "max_price_fen": max_price}
    job = call("POST", "/api/v1/jobs", json=body)
    if as_json:
        print_json(job)
    else:
        console.print(f"submitted job {job['id']} ({job['state']})")


def jobs(
    state: Annotated[list[str], typer.Option(help="filter by state (repeatable)")] = [],  # noqa: B006
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Your jobs, newest first (like squeue)."""
    found = call("GET", "/api/v1/jobs", params={"state": state, "limit": limit})
    if as_json:
        print_json(found)
        return
    table = Table(title="作业 Jobs")
    for column in ("id", "name", "state", "devices", "pool", "started", "ended", "reason"):
        table.add_column(column)
    for j in found:
        table.add_row(str(j["id"]), j["name"], j["state"], str(j["devices"]), str(j["pool_id"] or "-"),
                      _short(j["started_at"]), _short(j["ended_at"]), (j["reason"] or "")[:60])
    console.print(table)


def _short(stamp: Any) -> str:
    return str(stamp)[:19].replace("T", " ") if stamp else "-"


@job_app.command("show")
def show(job_id: int, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A job with its history and metered usage."""
    job = call("GET", f"/api/v1/jobs/{job_id}")
    if as_json:
        print_json(job)
        return
    console.print(f"[bold]job {job['id']}[/bold] {job['name']}: {job['state']}  exit={job['exit_code']}")
    for e in job["events"]:
        console.print(f"  {_short(e['created_at'])}  {e['from_state'] or '-'} -> {e['to_state']}  {e['reason'] or ''}")
    for u in job["usage"]:
        console.print(f"  usage {u['step']}: {u['device_seconds']} device-s, {u['core_seconds']} core-s ({u['source']})")


@job_app.command("cancel")
def cancel(job_id: int) -> None:
    """Cancel a queued or running job."""
    job = call("POST", f"/api/v1/jobs/{job_id}/cancel")
    console.print(f"job {job['id']}: {job['state']}")


@job_app.command("logs")
def logs(job_id: int, stderr: Annotated[bool, typer.Option("--stderr")] = False) -> None:
    """Print a job's stdout (or stderr)."""
    text = call("GET", f"/api/v1/jobs/{job_id}/logs", params={"stream": "stderr" if stderr else "stdout"})
    console.print(text, end="", markup=False, highlight=False)


def mount(app: typer.Typer) -> None:
    for command in (login, centers, submit, jobs):
        app.command()(command)
    app.add_typer(job_app, name="job")
