"""Uploaded spreadsheets built to hurt the reader: each is one refusal in the caller's error class,
within a second or two, never an openpyxl or csv exception nor minutes of one request's time."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook

from suanli.domain.errors import InvalidInput
from suanli.domain.opportunities.items import OpportunityError
from suanli.domain.opportunities.table import HEADERS, read_table
from suanli.domain.sheets import read_sheet

HEAD = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData>')
TAIL = b"</sheetData></worksheet>"


def _workbook(*rows: list[object]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)  # type: ignore[union-attr]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_sheet(xml: bytes | None) -> bytes:
    """A real workbook whose first sheet's XML is replaced (or removed, with None)."""
    source = zipfile.ZipFile(io.BytesIO(_workbook(["a"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name in source.namelist():
            data = xml if name == "xl/worksheets/sheet1.xml" else source.read(name)
            if data is not None:
                target.writestr(name, data)
    return out.getvalue()


def _refused(data: bytes, filename: str = "x.xlsx", match: str | None = None) -> str:
    started = time.monotonic()
    with pytest.raises(OpportunityError, match=match) as refused:
        read_table(data, filename)
    assert time.monotonic() - started < 10
    return refused.value.detail


def test_a_cell_at_the_last_row_and_column_is_read_without_padding_a_million_rows() -> None:
    book = Workbook()
    book.active.append(list(HEADERS))  # type: ignore[union-attr]
    book.active["XFD1048576"] = "far away"  # type: ignore[index]
    out = io.BytesIO()
    book.save(out)
    # Nothing below the header within the columns read: refused as header-only, and quickly.
    assert _refused(out.getvalue(), match="no rows below its header row")


def test_a_declared_dimension_of_the_whole_grid_is_not_believed() -> None:
    xml = HEAD.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>') + \
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>' + TAIL
    assert _refused(_with_sheet(xml), match="no rows below its header row")


def test_a_row_number_past_the_last_row_does_not_fill_a_billion_blank_rows() -> None:
    xml = HEAD + b'<row r="1"><c r="A1"><v>1</v></c></row><row r="999999999"><c r="A999999999"><v>1</v></c></row>' + TAIL
    assert _refused(_with_sheet(xml), match="no rows below its header row")


def test_a_zip_bomb_is_refused_by_its_unpacked_size() -> None:
    bomb = _with_sheet(HEAD + b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 2_000_000 + TAIL)
    assert len(bomb) < 1_000_000
    assert "unpacks to more than" in _refused(bomb)


def test_a_row_of_a_million_cells_is_refused_before_it_is_parsed() -> None:
    wide = _with_sheet(HEAD + b"<row>" + b"<c><v>1</v></c>" * 1_000_000 + b"</row>" + TAIL)
    assert "more than 16384 cells" in _refused(wide)


def test_more_rows_than_allowed_stop_the_reading_there() -> None:
    tall = _with_sheet(HEAD + b"<row><c><v>1</v></c></row>" * 200_000 + TAIL)
    with pytest.raises(InvalidInput, match="at most 10 rows"):
        read_sheet(tall, "x.xlsx", columns=4, max_rows=10, max_bytes=2**30)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "not a readable XLSX"),
    (b"PK\x03\x04 truncated", "not a readable XLSX"),
    (",".join(HEADERS).encode(), "not a readable XLSX"),  # a CSV renamed .xlsx
    (_with_sheet(b'<worksheet><sheetData><row r="1"><c r="A1"'), "not a readable XLSX"),
    (_with_sheet(None), "no worksheet"),
])
def test_a_file_that_is_not_a_workbook_is_one_refusal(data: bytes, message: str) -> None:
    assert message in _refused(data)


def test_a_csv_field_longer_than_the_csv_modules_limit_is_a_refusal() -> None:
    data = (",".join(HEADERS) + '\n"' + "x" * 200_000 + '"\n').encode()
    assert "cannot be read" in _refused(data, "x.csv")


def test_a_csv_in_neither_utf8_nor_gb18030_is_a_refusal() -> None:
    assert "neither UTF-8 nor GB18030" in _refused(_workbook(["a"]), "x.csv")


def test_the_reader_refuses_in_the_callers_error_class() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_sheet(b"not a zip", "x.xlsx", columns=4, max_rows=10, max_bytes=2**30)
    assert type(refused.value) is InvalidInput
