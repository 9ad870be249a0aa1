"""An uploaded spreadsheet (XLSX, or CSV in UTF-8 or GB18030, told apart by the file name) read into
its header and its non-blank rows of text, numbered as the sheet numbers them.

The bounds are the reader's, not the caller's good luck: an XLSX is a zip whose few kilobytes may
unpack to gigabytes, declare a sheet of 1,048,576 x 16,384 cells, or put millions of cells in one
row; a CSV may hold a field longer than the csv module's limit. Each of those is one refusal in the
caller's error class (its problem `type`), never an exception from openpyxl or csv, and never minutes
of one request's time: the unpacked size is checked before parsing, each row is cut at `columns`,
and reading stops at the first row past `max_rows`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook

from suanli.domain.errors import InvalidInput

MAX_UNPACKED_BYTES = 16 * 1024 * 1024  # every part of a workbook together, unpacked (a 1 MB upload of
# real sheets unpacks to a few MB; openpyxl parses ~6 MB/s, so this bounds one import to seconds)
EXCEL_LAST_ROW = 1_048_576  # no spreadsheet numbers a row past this
EXCEL_LAST_COLUMN = 16_384
_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")


@dataclass(frozen=True, slots=True)
class Sheet:
    header: tuple[str, ...]  # row 1, each cell stripped
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (row number, cells) of each non-blank row below it


def read_sheet(data: bytes, filename: str, *, columns: int, max_rows: int,
               error: type[InvalidInput] = InvalidInput) -> Sheet:
    """The sheet's header and rows, each row padded or cut to `columns` cells of text; more than
    `max_rows` non-blank rows below the header, or a file that is not a sheet, raises `error`."""
    if filename.lower().endswith(".xlsx"):
        raw: Iterator[Sequence[Any]] = _xlsx_rows(data, columns, error)
    else:
        raw = _csv_rows(data, error)
    header: tuple[str, ...] = ()
    rows: list[tuple[int, tuple[str, ...]]] = []
    try:
        for number, values in enumerate(raw, start=1):
            if number > 1 and values.count(None) == len(values):
                continue  # the blank rows openpyxl fills in below a gap, cheaply
            cells = tuple(_text(v) for v in values[:columns]) + ("",) * max(0, columns - len(values))
            if number == 1:
                header = cells
            elif any(cells):
                if len(rows) == max_rows:
                    raise error(f"at most {max_rows} rows per import")
                rows.append((number, cells))
    except csv.Error as exc:
        raise error(f"the CSV cannot be read: {exc}") from None
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, TypeError, EOFError, SyntaxError):
        # openpyxl parses a read-only sheet while it is iterated: broken XML surfaces here
        raise error("the file is not a readable XLSX workbook") from None
    return Sheet(header=tuple(h.strip() for h in header), rows=tuple(rows))


def _xlsx_rows(data: bytes, columns: int, error: type[InvalidInput]) -> Iterator[Sequence[Any]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise error(f"the workbook unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
            if max(map(_widest_row, _worksheets(archive)), default=0) > EXCEL_LAST_COLUMN:
                raise error(f"a row of the workbook has more than {EXCEL_LAST_COLUMN} cells")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise error("the file is not a readable XLSX workbook") from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a file that is not a workbook
        raise error("the file is not a readable XLSX workbook") from None
    if not book.worksheets:
        raise error("the workbook has no worksheet")
    # Explicit bounds: without them openpyxl pads every row to the sheet's declared dimension.
    return _closing(book, book.worksheets[0].iter_rows(max_col=columns, max_row=EXCEL_LAST_ROW, values_only=True))


def _worksheets(archive: zipfile.ZipFile) -> list[bytes]:
    return [archive.read(name) for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")]


def _widest_row(xml: bytes) -> int:
    """The most cells in one row, counted in the bytes: openpyxl builds a whole row before it yields
    it, so a row of a million cells must be refused before it is parsed."""
    widest = cells = 0
    for tag in _ROW_OR_CELL.finditer(xml):
        if tag.group(1) == b"row":
            widest, cells = max(widest, cells), 0
        else:
            cells += 1
    return max(widest, cells)


def _closing(book: Any, rows: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    try:
        yield from rows
    finally:
        book.close()


def _csv_rows(data: bytes, error: type[InvalidInput]) -> Iterator[Sequence[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # sheets saved by Chinese Excel as CSV
        except UnicodeDecodeError:
            raise error("the CSV is neither UTF-8 nor GB18030 text") from None
    return csv.reader(io.StringIO(text))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
