"""`suanli quote`: ranked, explained placement options for a job spec, read straight from the
database (like SkyPilot's optimizer table), with every excluded pool and its reason."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from suanli.cli.common import console, database_session, fail, print_json
from suanli.db.models.organisations import OrganisationRow
from suanli.domain.errors import SuanliError
from suanli.domain.money import format_yuan
from suanli.domain.organisations import Principal, Role
from suanli.domain.placement import PlacementRequest, Quote
from suanli.domain.placement.explain import render_exclusion
from suanli.domain.resources import Ecosystem, parse_models
from suanli.services import quotes


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
    hours: Annotated[float, typer.Option(help="runtime")] = 1.0,
    deadline: Annotated[float | None, typer.Option(help="finish within this many hours")] = None,
    max_price: Annotated[float | None, typer.Option(help="most to pay for the whole job, in yuan")] = None,
    region: Annotated[list[str] | None, typer.Option(help="allowed city or region; repeatable")] = None,
    designated_only: Annotated[bool, typer.Option(help="only centers designated by the voucher program")] = False,
    input_city: Annotated[str | None, typer.Option(help="where the input data lives")] = None,
    input_gb: Annotated[float, typer.Option()] = 0.0,
    prefer: Annotated[str, typer.Option(help="cheapest | fastest | greenest | balanced")] = "balanced",
    organisation: Annotated[str | None, typer.Option(help="payer, for the voucher subsidy")] = None,
    lang: Annotated[str, typer.Option(help="zh or en for reasons")] = "zh",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ranked, explained placement options for a job (报价)."""
    try:
        request = PlacementRequest(
            devices=devices, equivalents=equivalents, pflops=pflops,
            ecosystems=frozenset(Ecosystem.parse(e) for e in ecosystem or []), models=parse_models(models),
            min_device_memory_gb=min_device_memory, devices_per_node=devices_per_node, cpus_per_device=cpus_per_device,
            memory_gb_per_device=memory_per_device, hours=hours, deadline_hours=deadline,
            max_price_fen=None if max_price is None else round(max_price * 100),
            allowed_regions=frozenset(region or []), designated_only=designated_only, input_city=input_city,
            input_gb=input_gb, prefer=prefer)
    except SuanliError as exc:
        fail(exc.detail)
    with database_session() as session:
        payer = None
        if organisation:
            row = session.query(OrganisationRow).filter_by(name=organisation).one_or_none()
            if row is None:
                fail(f"no organisation named {organisation!r}")
            payer = Principal(user_id=0, username="cli", organisation_id=row.id, role=Role.ORG_MEMBER)
        try:
            result = quotes.quote(session, principal=payer, request=request)
        except SuanliError as exc:
            if as_json:
                print_json(exc.problem())
                raise typer.Exit(2) from None
            alternatives = "; ".join(f"{a['center']}/{a['pool']}: {a['suggestion'][lang]}"
                                     for a in exc.extra.get("alternatives", []))
            fail(exc.detail + (f" — closest: {alternatives}" if alternatives else ""))
    if as_json:
        print_json(quotes.quote_body(result))
        return
    show(result, lang)


def show(result: Quote, lang: str) -> None:
    table = Table(title="报价 Quote")
    for column in ("#", "center", "pool", "accelerator", "devices", "hours", "expected start", "list price",
                   "subsidy", "to pay", "energy kWh", "green", "score"):
        table.add_column(column, justify="right" if column not in ("center", "pool", "accelerator") else "left")
    for i, o in enumerate(result.options, 1):
        table.add_row(str(i), o.center, o.pool, o.model, str(o.devices), f"{o.hours:.2f}", f"{o.expected_start_h:.1f} h",
                      format_yuan(o.list_price_fen), format_yuan(o.subsidy_fen), format_yuan(o.price_fen),
                      f"{o.energy_kwh:.0f}", f"{o.green_share:.0%}", f"{o.score:.1f}")
    console.print(table)
    if result.excluded:
        excluded = Table(title="排除 Excluded")
        for column in ("center", "pool", "reason"):
            excluded.add_column(column)
        for e in result.excluded:
            excluded.add_row(e.center, e.pool, render_exclusion(e, lang))
        console.print(excluded)


COMMANDS = [quote]
