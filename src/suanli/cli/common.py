"""What every CLI command shares: one-line errors with the exit codes of the conventions (1 a refused
operation, 2 a usage error), the `-o table|json|csv` output option, money flags in yuan, durations,
and the Rich console. Nothing here touches a database (that is `cli/local.py`, for admin commands)."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from suanli.domain.money import format_yuan, yuan

# No markup: what the server sends ("[no-pool-fits]", a project named "[draft]") prints as it is.
console = Console(markup=False, highlight=False)
err_console = Console(stderr=True, markup=False, highlight=False)
REFUSED, USAGE = 1, 2
LOCAL_ADMIN = "Local admin command: runs against the database on this host (SUANLI_DATABASE_URL), not the API."


def fail(message: str, code: int = REFUSED) -> NoReturn:
    """Print one readable line to stderr and exit non-zero: never a traceback."""
    err_console.print(Text.assemble(("error:", "red"), " ", " ".join(message.split())), soft_wrap=True)
    raise typer.Exit(code)


def usage(message: str) -> NoReturn:
    """A command line that cannot be right whatever the server says: exit 2."""
    fail(message, USAGE)


def read_file(path: Path) -> bytes:
    """A file named on the command line, or a usage error (exit 2): the user named it, so the user can fix it."""
    try:
        return path.read_bytes()
    except OSError as err:
        usage(f"cannot read {path}: {err.strerror}")


def read_text(path: Path) -> str:
    """A UTF-8 text file named on the command line (lines ending as `Path.read_text` reads them), or a
    usage error (exit 2)."""
    try:
        text = read_file(path).decode("utf-8")
    except UnicodeDecodeError:
        usage(f"{path} is not UTF-8 text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def write_file(path: Path, data: bytes) -> int:
    """Write `data` to a file named on the command line (`--out`), or a usage error (exit 2). The bytes
    written."""
    try:
        path.write_bytes(data)
    except OSError as err:
        usage(f"cannot write {path}: {err.strerror}")
    return len(data)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


# --- output -------------------------------------------------------------------------------------------


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


Output = Annotated[Format | None, typer.Option("-o", "--output", help="table (default), json (amounts in fen) or csv")]
JsonFlag = Annotated[bool, typer.Option("--json", help="same as -o json")]


def chosen(output: Format | None, as_json: bool = False) -> Format:
    if as_json and output not in (None, Format.JSON):
        usage("--json and -o/--output disagree: give one of them")
    return Format.JSON if as_json else output or Format.TABLE


@dataclass(frozen=True)
class Column:
    """One column of a listing: its header, how to read it from an API item, and whether it is money
    (fen from the API: `¥1,234.56` in a table, `1234.56` in CSV)."""

    header: str
    read: str | Callable[[Any], Any]
    money: bool = False

    def value(self, item: Any) -> Any:
        return self.read(item) if callable(self.read) else item.get(self.read)

    def cell(self, item: Any, fmt: Format) -> str:
        value = self.value(item)
        if value is None:
            return "-" if fmt is Format.TABLE else ""
        if self.money:
            return format_yuan(int(value)) if fmt is Format.TABLE else f"{Decimal(int(value)) / 100:.2f}"
        return str(value)


def emit(items: Sequence[Any], columns: Sequence[Column], fmt: Format, title: str = "", data: Any = None) -> None:
    """Print a listing as a table, as the API's JSON (`data`, default the items) or as CSV."""
    if fmt is Format.JSON:
        print_json(items if data is None else data)
        return
    if fmt is Format.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([c.header for c in columns])
        writer.writerows([[_neutralised(c.cell(i, fmt)) for c in columns] for i in items])
        sys.stdout.write(buffer.getvalue())
        return
    table = Table(title=title or None)
    for c in columns:
        table.add_column(c.header, justify="right" if c.money else "left")
    for i in items:
        table.add_row(*[c.cell(i, fmt) for c in columns])
    console.print(table)


def show_row(row: Any, columns: Sequence[Column], fmt: Format, line: str) -> None:
    """What an action command prints: one readable line in a table's place, else the API's row."""
    if fmt is Format.TABLE:
        console.print(line)
    else:
        emit([row], columns, fmt, data=row)


def _neutralised(cell: str) -> str:
    """A cell a spreadsheet would read as a formula is quoted (OWASP CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and not _number(cell)) else cell


def _number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def short_time(stamp: Any) -> str:
    return str(stamp)[:19].replace("T", " ") if stamp else "-"


# --- money and durations ------------------------------------------------------------------------------


def fen_of_yuan(text: str | None, flag: str) -> int | None:
    """`--max-price 12.5` (yuan, `¥` and `,` allowed) as integer fen; sub-fen precision is refused."""
    if text is None:
        return None
    cleaned = text.strip().replace(",", "").removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
    try:
        fen = yuan(cleaned)
    except (ValueError, ZeroDivisionError):
        usage(f"{flag}: {text!r} is not an amount in yuan (e.g. 12.50)")
    if fen < 0:
        usage(f"{flag}: an amount cannot be negative")
    return fen


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CLOCK = re.compile(r"^(?:(\d+)-)?(\d+):(\d{1,2})(?::(\d{1,2}))?$")
_PARTS = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def seconds_of(text: str, flag: str, bare_unit_s: int = 1) -> int:
    """A duration as whole seconds: `HH:MM:SS`, `MM:SS`, `D-HH:MM:SS` (like sbatch), `2h`, `90m`,
    `1h30m`, `45s`, or a bare number counted in `bare_unit_s` (seconds unless said otherwise)."""
    value = text.strip().lower()
    clock = _CLOCK.match(value)
    if clock:
        days, first, second, third = clock.groups()
        hours, minutes, secs = (int(first), int(second), int(third)) if third is not None else (0, int(first), int(second))
        if secs >= 60 or (third is not None and minutes >= 60):  # `MM:SS` may count 90 minutes, like sbatch
            usage(f"{flag}: {text!r} has minutes or seconds past 59")
        return int(days or 0) * 86400 + hours * 3600 + minutes * 60 + secs
    try:
        return _positive(Decimal(value) * bare_unit_s, text, flag)
    except InvalidOperation:
        pass
    parts = _PARTS.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        usage(f"{flag}: {text!r} is not a duration (HH:MM:SS, 2h, 90m, 1h30m or seconds)")
    return _positive(sum((Decimal(n) * _UNITS[u] for n, u in parts), Decimal(0)), text, flag)


def _positive(seconds: Decimal, text: str, flag: str) -> int:
    if seconds <= 0 or seconds != seconds.to_integral_value():
        usage(f"{flag}: {text!r} must be a positive whole number of seconds")
    return int(seconds)


def hours_of(text: str, flag: str) -> float:
    """A duration flag counted in hours when bare (`--hours 12`), any duration form otherwise."""
    try:
        hours = float(text)
    except ValueError:
        return seconds_of(text, flag) / 3600
    if hours <= 0:
        usage(f"{flag}: must be more than zero")
    return hours
