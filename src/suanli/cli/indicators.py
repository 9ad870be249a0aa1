"""`suanli indicator ...`: industry indicators (产业指标) over the API: the definitions with each year's
target, figure, progress and year-over-year change; the bureau loads the indicator file, enters a figure
for a period (a year `2024` or a quarter `2024Q3`) or imports a sheet of them (指标代码, 期间, 数值, 来源:
all rows or none, the first bad one named), and exports the overview as XLSX. `-o table|json|csv` on
every command, exit 1 when the API refuses, 2 for a usage error before anything is sent."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from suanli.cli import client
from suanli.cli.common import Column, Output, chosen, emit, read_file, read_text, show_row, usage
from suanli.domain.errors import SuanliError
from suanli.domain.indicators import parse_indicator_file

NAME = "indicator"
app = typer.Typer(help="Industry indicators (产业指标): progress against target, figures per period, import and "
                       "XLSX export.", no_args_is_help=True)
SHEETS = (".xlsx", ".csv")


def _percent(share: str | None) -> str | None:
    return None if share is None else f"{Decimal(share) * 100:.1f}%"


def _number(value: str | None) -> str | None:
    """`900.0000` from the API reads `900` in a table (exact: Decimal, never float)."""
    return None if value is None else format(Decimal(value).normalize(), "f")


def _columns(lang: str) -> list[Column]:
    return [Column("code", "code"), Column("指标" if lang == "zh" else "indicator", lambda r: r["name"][lang]),
            Column("unit" if lang == "en" else "单位", lambda r: r["unit"][lang]), Column("year", "year"),
            Column("target", lambda r: _number(r["target"])), Column("value", lambda r: _number(r["value"])),
            Column("period", "period"),
            Column("progress", lambda r: _percent(r["progress"])), Column("yoy", lambda r: _percent(r["yoy"])),
            Column("platform", lambda r: "yes" if r["computed_by_platform"] else "")]


def _rows(found: list[dict[str, Any]], year: int | None) -> list[dict[str, Any]]:
    """One row per indicator and year (the API nests the years under the indicator)."""
    return [{**{k: v for k, v in i.items() if k != "years"}, **y} for i in found for y in i["years"]
            if year is None or y["year"] == year]


@app.command("list")
def overview(year: Annotated[int | None, typer.Option("--year", min=2000, max=2100, help="one year only")] = None,
             lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh", output: Output = None) -> None:
    """Every indicator with its unit and, per year, target, figure, progress against target and year over
    year (progress and yoy as shares in JSON)."""
    if lang not in ("zh", "en"):
        usage("--lang is zh or en")
    fmt = chosen(output)
    found = client.request("GET", "/api/v1/indicators", authenticated=False)  # public figures
    if fmt.value == "json":
        emit(found, [], fmt, data=[i for i in found if year is None or any(y["year"] == year for y in i["years"])])
        return
    emit(_rows(found, year), _columns(lang), fmt, "产业指标 Industry indicators")


@app.command("load")
def load(file: Path, output: Output = None) -> None:
    """Load (or update) the indicator definitions and targets from an indicator file (YAML), checked here first."""
    fmt = chosen(output)
    text = read_text(file)
    try:
        parse_indicator_file(text)
    except SuanliError as err:
        usage(f"{file}: {err.detail}")
    row = client.request("PUT", "/api/v1/indicators", json={"text": text})
    show_row(row, [Column("codes", lambda r: " ".join(r["codes"]))], fmt,
             f"loaded {len(row['codes'])} indicators: {', '.join(row['codes'])}")


FIGURE_COLUMNS = [Column("code", "code"), Column("period", "period"), Column("value", "value"),
                  Column("entered by", "entered_by"), Column("entered at", "entered_at")]


@app.command("enter")
def enter(code: Annotated[str, typer.Argument(help="the indicator's code")],
          period: Annotated[str, typer.Argument(help="a year (2024) or a quarter (2024Q3)")],
          value: Annotated[str, typer.Argument(help="the figure, in the indicator's unit")],
          source: Annotated[str, typer.Option("--source", help="where the figure comes from")] = "",
          output: Output = None) -> None:
    """Enter one figure for a period (the bureau); the newest entry per period counts, every one is kept."""
    fmt = chosen(output)
    try:
        number = Decimal(value.replace(",", "").strip())
    except InvalidOperation:
        usage(f"VALUE: {value!r} is not a number")
    if not number.is_finite():
        usage(f"VALUE: {value!r} is not a number")
    row = client.post("/api/v1/indicator-figures", {"code": code, "period": period, "value": str(number),
                                                    "source": source})
    show_row(row, FIGURE_COLUMNS, fmt, f"{row['code']} {row['period']}: {row['value']} (entered by {row['entered_by']})")


@app.command("import")
def import_sheet(file: Annotated[Path, typer.Argument(help="a .xlsx or .csv sheet: 指标代码, 期间, 数值, 来源")],
                 output: Output = None) -> None:
    """Import a sheet of figures: all rows or none, the first bad row named."""
    fmt = chosen(output)
    if file.suffix.lower() not in SHEETS:
        usage(f"{file}: the sheet must be .xlsx or .csv")
    data = read_file(file)
    row = client.request("POST", "/api/v1/indicator-figures/import",
                         files={"file": (file.name, data, "application/octet-stream")})
    show_row(row, [Column("imported", "imported")], fmt, f"imported {row['imported']} figures from {file}")


@app.command("export")
def export(out: Annotated[Path, typer.Option("--out", help="the .xlsx file to write")], output: Output = None) -> None:
    """Export every indicator's targets, figures and progress per year as XLSX."""
    fmt = chosen(output)
    if out.suffix.lower() != ".xlsx":
        usage("--out must end in .xlsx")
    size = client.download("/api/v1/indicators.xlsx", out, authenticated=False)
    show_row({"file": str(out), "bytes": size}, [Column("file", "file"), Column("bytes", "bytes")],
             fmt, f"indicators written to {out}")
