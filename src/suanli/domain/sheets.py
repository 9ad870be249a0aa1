"""An uploaded spreadsheet (XLSX, or CSV in UTF-8 or GB18030, told apart by the file name) read into
its header and its non-blank rows of text, numbered as the sheet numbers them.

The bounds are the reader's, not the caller's good luck: an XLSX is a zip whose few kilobytes may
unpack to gigabytes, declare a sheet of 1,048,576 x 16,384 cells, or put millions of cells in one
row; a CSV may hold a field longer than the csv module's limit. Each of those is one refusal in the
caller's error class (its problem `type`), never an exception from openpyxl or csv, and never minutes
of one request's time: the unpacked size is checked before parsing, each row is cut at `columns`,
and reading stops at the first row past `max_rows`.

Each cell is text a database and a spreadsheet can hold: at most Excel's own 32,767 characters, and
no control character but tab and line breaks (PostgreSQL refuses NUL in text, which SQLite keeps;
openpyxl cannot write the others back out). A sheet with no row below its header is refused too:
an import of nothing is a mistaken file, not a request.
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

from suanli.domain.errors import InvalidInput, TooLarge

MAX_UNPACKED_BYTES = 16 * 1024 * 1024  # every part of a workbook together, unpacked (a 1 MB upload of
# real sheets unpacks to a few MB; openpyxl parses ~6 MB/s, so this bounds one import to seconds)
EXCEL_LAST_ROW = 1_048_576  # no spreadsheet numbers a row past this
EXCEL_LAST_COLUMN = 16_384
_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")
NOT_XLSX = "the file is not a readable XLSX workbook / 文件不是可读取的 XLSX 工作簿"
MAX_CELL_CHARS = 32_767  # the most an Excel cell holds
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # C0 controls but tab, LF, CR: openpyxl's illegal ones


@dataclass(frozen=True, slots=True)
class Sheet:
    header: tuple[str, ...]  # row 1, each cell stripped
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (row number, cells) of each non-blank row below it


def read_sheet(data: bytes, filename: str, *, columns: int, max_rows: int, max_bytes: int,
               error: type[InvalidInput] = InvalidInput) -> Sheet:
    """The sheet's header and rows, each row padded or cut to `columns` cells of text; more than
    `max_rows` non-blank rows below the header, or a file that is not a sheet, raises `error`; more
    than `max_bytes` raises `TooLarge` (413): the edges read one byte past it, so a longer upload is
    refused here rather than parsed cut short."""
    if len(data) > max_bytes:
        raise TooLarge(f"the sheet is larger than {max_bytes // (1024 * 1024)} MB / 表格文件超过 "
                       f"{max_bytes // (1024 * 1024)} MB", limit=max_bytes)
    if filename.lower().endswith(".xlsx"):
        raw: Iterator[Sequence[Any]] = _xlsx_rows(data, columns, error)
    else:
        raw = _csv_rows(data, error)
    header: tuple[str, ...] = ()
    rows: list[tuple[int, tuple[str, ...]]] = []
    number = 0
    try:
        for number, values in enumerate(raw, start=1):
            if number > 1 and values.count(None) == len(values):
                continue  # the blank rows openpyxl fills in below a gap, cheaply
            cells = tuple(_text(v) for v in values[:columns]) + ("",) * max(0, columns - len(values))
            _check_cells(cells, number, header, error)
            if number == 1:
                header = cells
            elif any(cells):
                if len(rows) == max_rows:
                    raise error(f"at most {max_rows} rows per import / 每次最多导入{max_rows}行", row=number)
                rows.append((number, cells))
    except csv.Error as exc:
        raise error(f"row {number + 1}: the CSV cannot be read ({exc}) / 第{number + 1}行：CSV 无法读取（{exc}）",
                    row=number + 1) from None
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, TypeError, EOFError, SyntaxError):
        # openpyxl parses a read-only sheet while it is iterated: broken XML surfaces here
        raise error(NOT_XLSX) from None
    if not rows:
        raise error("the sheet has no rows below its header row / 表格在表头行之下没有数据行" if any(header)
                    else "the sheet is empty: the first row must be the headers / 表格为空：第一行须为表头", row=1)
    return Sheet(header=tuple(h.strip() for h in header), rows=tuple(rows))


def _check_cells(cells: tuple[str, ...], number: int, header: tuple[str, ...], error: type[InvalidInput]) -> None:
    for index, cell in enumerate(cells):
        control = _CONTROL.search(cell)
        if len(cell) <= MAX_CELL_CHARS and control is None:
            continue
        name = header[index].strip() if number > 1 and index < len(header) else ""
        # The header's (Chinese) name only in the zh half: the web shows one half, told apart by CJK.
        where, where_zh = f"row {number}, column {_letter(index)}", f"第{number}行{_letter(index)}列"
        if name:
            where_zh = f"{where_zh}（{name}）"
        if len(cell) > MAX_CELL_CHARS:
            raise error(f"{where}: the cell has {len(cell)} characters; at most {MAX_CELL_CHARS} / {where_zh}："
                        f"单元格有{len(cell)}个字符，最多{MAX_CELL_CHARS}个", row=number, column=name or _letter(index))
        code = f"U+{ord(control.group()):04X}" if control else ""
        raise error(f"{where}: the cell holds a control character ({code}) / {where_zh}：单元格含控制字符（{code}）",
                    row=number, column=name or _letter(index))


def _letter(index: int) -> str:
    """The spreadsheet's column letters of a 0-based index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _xlsx_rows(data: bytes, columns: int, error: type[InvalidInput]) -> Iterator[Sequence[Any]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise error(f"the workbook unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB / 工作簿解压后超过"
                            f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
            if max(map(_widest_row, _worksheets(archive)), default=0) > EXCEL_LAST_COLUMN:
                raise error(f"a row of the workbook has more than {EXCEL_LAST_COLUMN} cells / 工作簿某行超过{EXCEL_LAST_COLUMN}个单元格")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise error(NOT_XLSX) from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a file that is not a workbook
        raise error(NOT_XLSX) from None
    if not book.worksheets:
        raise error("the workbook has no worksheet / 工作簿中没有工作表")
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
            raise error("the CSV is neither UTF-8 nor GB18030 text / CSV 文件既不是 UTF-8 也不是 GB18030 编码") from None
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
