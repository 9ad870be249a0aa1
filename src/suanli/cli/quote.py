"""`suanli quote`: ranked, explained placement options for a job spec from the server's broker
(`POST /api/v1/quotes`, like SkyPilot's optimizer table), priced after the voucher subsidy of the
signed-in person's organisation, with every excluded pool and its reason."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from suanli.cli import client
from suanli.cli.common import (
    REFUSED,
    Column,
    Format,
    JsonFlag,
    Output,
    chosen,
    console,
    emit,
    fail,
    fen_of_yuan,
    hours_of,
    print_json,
    usage,
)

OPTION_COLUMNS = [
    Column("#", "rank"), Column("center", "center"), Column("pool", "pool"), Column("accelerator", "model"),
    Column("devices", "devices"), Column("hours", lambda o: f"{o['hours']:.2f}"),
    Column("expected start", lambda o: f"{o['expected_start_h']:.1f} h"),
    Column("list price", "list_price_fen", money=True), Column("subsidy", "subsidy_fen", money=True),
    Column("to pay", "price_fen", money=True), Column("voucher", "subsidy_program"),
    Column("energy kWh", lambda o: f"{o['energy_kwh']:.0f}"), Column("green", lambda o: f"{o['green_share']:.0%}"),
    Column("score", lambda o: f"{o['score']:.1f}"),
]


def quote(
    devices: Annotated[int | None, typer.Option(help="devices (accelerators, or CPU cores)")] = None,
    equivalents: Annotated[float | None, typer.Option(help="A100-equivalents instead of devices")] = None,
    pflops: Annotated[float | None, typer.Option("--pflops", help="P (PFLOPS FP16) instead of devices")] = None,
    ecosystem: Annotated[list[str] | None, typer.Option(help="cuda, cann, rocm/dtk, cpu; repeatable")] = None,
    models: Annotated[str | None, typer.Option(help='accepted models, e.g. "A800|H800"')] = None,
    min_device_memory: Annotated[int, typer.Option(help="GB per device")] = 0,
    devices_per_node: Annotated[int | None, typer.Option(help="gang width per node")] = None,
    cpus_per_device: Annotated[int, typer.Option()] = 1,
    memory_per_device: Annotated[int, typer.Option(help="GB of host memory per device")] = 0,
    hours: Annotated[str, typer.Option(help="runtime: hours (12), or 90m, 2h, HH:MM:SS")] = "1",
    deadline: Annotated[str | None, typer.Option(help="finish within: hours, or 90m, 2h, HH:MM:SS")] = None,
    max_price: Annotated[str | None, typer.Option(help="most to pay for the whole job, in yuan")] = None,
    region: Annotated[list[str] | None, typer.Option(help="allowed city or region; repeatable")] = None,
    designated_only: Annotated[bool, typer.Option(help="only centers designated by the voucher program")] = False,
    input_city: Annotated[str | None, typer.Option(help="where the input data lives")] = None,
    input_gb: Annotated[float, typer.Option()] = 0.0,
    prefer: Annotated[str, typer.Option(help="cheapest | fastest | greenest | balanced")] = "balanced",
    organisation: Annotated[str | None, typer.Option(
        hidden=True, help="(old spelling) the payer is now always the signed-in person's organisation")] = None,
    lang: Annotated[str, typer.Option(help="zh or en for reasons")] = "zh",
    output: Output = None,
    as_json: JsonFlag = False,
) -> None:
    """Ranked, explained placement options for a job (报价), priced for your organisation."""
    fmt = chosen(output, as_json)
    if lang not in ("zh", "en"):
        usage("--lang is zh or en")
    body: dict[str, Any] = {
        "devices": devices, "equivalents": equivalents, "pflops": pflops, "ecosystems": ecosystem or [],
        "models": models or [], "min_device_memory_gb": min_device_memory, "devices_per_node": devices_per_node,
        "cpus_per_device": cpus_per_device, "memory_gb_per_device": memory_per_device,
        "hours": hours_of(hours, "--hours"), "deadline_hours": None if deadline is None else hours_of(deadline, "--deadline"),
        "max_price_fen": fen_of_yuan(max_price, "--max-price"), "allowed_regions": region or [],
        "designated_only": designated_only, "input_city": input_city, "input_gb": input_gb, "prefer": prefer}
    _check_payer(organisation)
    response = client.request("POST", "/api/v1/quotes", json=body, raw=True)
    answer = response.json() if "json" in response.headers.get("content-type", "") else {}
    if response.status_code >= 400:
        if fmt is Format.JSON:
            print_json(answer)
            raise typer.Exit(REFUSED)
        alternatives = "; ".join(f"{a['center']}/{a['pool']}: {a['suggestion'][lang]}"
                                 for a in answer.get("alternatives", []))
        fail(client.problem_line(response) + (f" — closest: {alternatives}" if alternatives else ""))
    if fmt is not Format.TABLE:
        emit([{**o, "rank": i} for i, o in enumerate(answer["options"], 1)], OPTION_COLUMNS, fmt, data=answer)
        return
    show(answer, lang)


def _check_payer(organisation: str | None) -> None:
    """`--organisation` (the old local spelling) is accepted only when it names the signed-in
    person's own organisation: the server prices for whoever asks, never for someone else."""
    if organisation is None:
        return
    me = client.get("/api/v1/auth/me")
    own = client.get(f"/api/v1/organisations/{me['organisation_id']}")
    if organisation not in (own.get("name"), str(own.get("id"))):
        fail(f"you are signed in for organisation {own.get('name')!r}: quotes are priced for it, not for "
             f"{organisation!r} (sign in as one of its members instead)")


def show(answer: dict[str, Any], lang: str) -> None:
    emit([{**o, "rank": i} for i, o in enumerate(answer["options"], 1)], OPTION_COLUMNS, Format.TABLE, "报价 Quote")
    if answer["excluded"]:
        emit(answer["excluded"], [Column("center", "center"), Column("pool", "pool"),
                                  Column("reason", lambda e: e["message"][lang])], Format.TABLE, "排除 Excluded")
    if not answer["options"]:
        console.print("no pool fits" if lang == "en" else "没有合适的资源池")


COMMANDS = [quote]
