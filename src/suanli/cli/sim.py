"""`suanli sim`: the fill-the-cluster experiment and the time-based federation replay.

Thin commands over `suanli.sim`: parse options, call the simulator, write JSON (and HTML).
Every input problem (missing or malformed file, unknown policy or broker, bad seed range)
is one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from suanli.sim import SimInputError

app = typer.Typer(help="Simulators: fill a GPU cluster (FGD paper) and replay traces over a federation.",
                  no_args_is_help=True, add_completion=False)


def parse_seeds(text: str) -> list[int]:
    """`42-51`, `42,43,44` or `42`."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part[1:]:
                low, high = (int(x) for x in part.split("-", 1))
                if high < low or high - low >= 10_000:
                    raise ValueError
                seeds.extend(range(low, high + 1))
            else:
                seeds.append(int(part))
    except ValueError:
        raise SimInputError(f"bad seed range {text!r}; use e.g. 42-51, 42,43 or 42") from None
    return seeds


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _write_json(path: Path | None, payload: dict[str, Any]) -> None:
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if path is None or str(path) == "-":
        sys.stdout.write(text)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror}")


@app.command()
def fill(
    nodes: Annotated[Path, typer.Option(help="node list CSV (openb_node_list_gpu_node.csv)")],
    pods: Annotated[Path, typer.Option(help="pod list CSV (openb_pod_list_*.csv)")],
    policy: Annotated[str, typer.Option(help="fgd, bestfit, packing, clustering, dotprod, random or best")],
    json_out: Annotated[Path | None, typer.Option("--json", help="output file (default: stdout)")] = None,
    seeds: Annotated[str, typer.Option(help="seed range, e.g. 42-51")] = "42-51",
    tune: Annotated[float, typer.Option(help="arrive tasks until this multiple of GPU capacity")] = 1.3,
    workers: Annotated[int, typer.Option(min=1, help="local worker processes")] = 1,
    ray: Annotated[str | None, typer.Option("--ray", help="Ray cluster address (needs the ray extra)")] = None,
) -> None:
    """Fill-the-cluster experiment of the FGD paper: unallocated GPU % per arrived-workload %."""
    from suanli.sim.fill import POLICIES, run_fill
    from suanli.sim.fill.data import load_nodes, load_pods

    try:
        if policy not in POLICIES:
            raise SimInputError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
        if not 0.5 <= tune <= 5.0:
            raise SimInputError(f"--tune must be between 0.5 and 5, got {tune}")
        seed_list = parse_seeds(seeds)
        node_list = load_nodes(nodes)
        result = run_fill(node_list, load_pods(pods, node_list.models), policy, seed_list, tune, workers, ray)
    except SimInputError as exc:
        _fail(str(exc))
    _write_json(json_out, result.to_json())


@app.command()
def replay(
    federation: Annotated[Path, typer.Option(help="federation YAML (see examples/sim-federation-chengdu.yaml)")],
    trace: Annotated[Path, typer.Option(help="trace: openb CSV, SWF (.swf) or CSV with submit_s,duration_s,gpus")],
    broker: Annotated[str, typer.Option(help="suanli, cheapest, round-robin, least-loaded, home-center; "
                                             "comma-separated to compare")] = "suanli",
    json_out: Annotated[Path | None, typer.Option("--json", help="output file (default: stdout)")] = None,
    html: Annotated[Path | None, typer.Option(help="write a self-contained Plotly report here")] = None,
    trace_format: Annotated[str, typer.Option("--format", help="auto, csv or swf")] = "auto",
    swf_units: Annotated[str, typer.Option(help="what SWF processors count: auto (nodes when the header has "
                                                "MaxNodes but no MaxProcs), cores or nodes")] = "auto",
    progress: Annotated[bool | None, typer.Option(help="progress bar on stderr (default: when a terminal)")] = None,
    copies: Annotated[int, typer.Option(help="replay every job this many times (seeded jitter)")] = 1,
    compress: Annotated[float | None, typer.Option(help="divide submit times by this factor")] = None,
    target_load: Annotated[float | None, typer.Option(help="compress time so the offered load is this "
                                                           "share of the federation (e.g. 0.8)")] = None,
    scale_seed: Annotated[int, typer.Option(help="seed of the trace scaler")] = 0,
) -> None:
    """Replay a job trace over a federation with one or more broker policies."""
    from suanli.sim.federation import load_federation
    from suanli.sim.replay import parse_brokers
    from suanli.sim.scaler import scale_to_load, scale_trace
    from suanli.sim.traces import load_trace

    try:
        names = parse_brokers(broker)
        fed = load_federation(federation)
        jobs = load_trace(trace, trace_format, swf_units)
        if target_load is not None and compress is not None:
            raise SimInputError("give --target-load or --compress, not both")
        if target_load is not None:
            jobs = scale_to_load(jobs, fed, target_load, copies, scale_seed)
        elif compress is not None or copies != 1:
            jobs = scale_trace(jobs, compress or 1.0, copies, scale_seed)
    except SimInputError as exc:
        _fail(str(exc))
    show = sys.stderr.isatty() if progress is None else progress
    result = _run_with_progress(fed, jobs, names, show)
    if html is not None:
        from suanli.sim.report import write_report

        try:
            write_report(html, result)
        except OSError as exc:
            _fail(f"cannot write {html}: {exc.strerror}")
    _write_json(json_out, {k: v for k, v in result.items() if k != "results"}
                | {"results": [{k: v for k, v in r.items() if k != "curves"} for r in result["results"]]})


def _run_with_progress(fed: Any, jobs: Any, names: list[str], show: bool) -> dict[str, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from suanli.sim.replay import run_replay

    total = 2 * len(jobs)  # one arrival and one finish per placed job
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), disable=not show, transient=True) as bar:
        tasks = {name: bar.add_task(f"replay {name}", total=total) for name in names}
        result = run_replay(fed, jobs, names, lambda name, events: bar.update(tasks[name], completed=events))
    return result


if __name__ == "__main__":
    app()
