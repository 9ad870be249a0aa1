"""XLSX (openpyxl) and CSV of a document: the header lines, the table with Chinese column names and
the totals; yuan as exact decimal numbers formatted `#,##0.00` in XLSX and `1234.50` text in CSV.
Every text cell is neutralised against spreadsheet formulas and stored as text."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from suanli.domain.exports import neutralise
from suanli.services.documents.model import Document, Kind, hours_decimal, yuan_decimal


def _cell(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if kind is Kind.YUAN:
        return yuan_decimal(int(value))
    if kind is Kind.HOURS:
        return hours_decimal(int(value))
    return neutralise(value if isinstance(value, int | float) else str(value))


def _lines(doc: Document) -> tuple[list[list[Any]], int, int]:
    """All rows of the sheet, and the 0-based index of the table's header row and of the totals."""
    lines: list[list[Any]] = [[doc.title, doc.number]]
    lines += [[k, neutralise(v)] for k, v in doc.header]
    lines.append([])
    head = len(lines)
    lines.append([c.title for c in doc.columns])
    lines += [[_cell(v, c.kind) for v, c in zip(row, doc.columns, strict=True)] for row in doc.rows]
    lines.append([])
    totals = len(lines)
    lines += [[k, yuan_decimal(v)] for k, v in doc.totals]
    lines += [[neutralise(n)] for n in doc.notes]
    return lines, head, totals


def to_xlsx(doc: Document) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = doc.sheet[:31]
    lines, head, totals = _lines(doc)
    for line in lines:
        sheet.append(line)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, even if a reader drops the ' prefix
            elif cell.value is not None and not isinstance(cell.value, int):
                cell.number_format = "#,##0.00"
    for cell in sheet[head + 1]:
        cell.font = Font(bold=True)
    sheet["A1"].font = Font(bold=True, size=14)
    for i, _column in enumerate(doc.columns):
        sheet.column_dimensions[chr(ord("A") + i)].width = 18 if i else 24
    for r in range(totals + 1, totals + 1 + len(doc.totals)):
        sheet.cell(r, 1).font = sheet.cell(r, 2).font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(doc: Document) -> bytes:
    lines, _head, _totals = _lines(doc)
    out = io.StringIO()
    writer = csv.writer(out)
    for line in lines:
        writer.writerow([f"{v:.2f}" if not isinstance(v, int | str) and v is not None else v for v in line])
    return ("\ufeff" + out.getvalue()).encode()  # BOM: spreadsheet programs then read the Chinese right
