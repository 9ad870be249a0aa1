"""The public disclosure list (公示): who was granted how much under a program, as CSV or XLSX.

Pure formatting (rows in, bytes out): the service decides which rows are published; the bytes are
hashed and audited so the published list can be checked against the log.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from suanli.domain.exports import neutralise
from suanli.domain.money import format_yuan

COLUMNS = (
    ("program", "项目 / program"),
    ("organisation", "单位 / organisation"),
    ("organisation_zh", "单位名称"),
    ("project", "项目名称 / project"),
    ("amount_fen", "核定金额（分） / granted (fen)"),
    ("amount", "核定金额 / granted"),
    ("granted_on", "核定日期 / granted on"),
    ("expires_on", "有效期至 / valid until"),
)


def disclosure_row(*, program: str, organisation: str, organisation_zh: str, project: str, amount_fen: int,
                   granted_on: str, expires_on: str) -> dict[str, Any]:
    return {"program": program, "organisation": organisation, "organisation_zh": organisation_zh, "project": project,
            "amount_fen": amount_fen, "amount": format_yuan(amount_fen), "granted_on": granted_on,
            "expires_on": expires_on}


def rows_hash(rows: Sequence[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(list(rows), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def to_csv(rows: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        writer.writerow([_safe(row[key]) for key, _ in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode()  # BOM: spreadsheet programs then read the Chinese right


def to_xlsx(rows: Sequence[dict[str, Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook always has one worksheet
    sheet.title = "公示"
    sheet.append([title for _, title in COLUMNS])
    for row in rows:
        sheet.append([_safe(row[key]) for key, _ in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in names an organisation typed itself (CSV injection)."""
    return neutralise(value)
