"""Cells of every export (CSV, XLSX) that a spreadsheet could run as a formula are neutralised: a text
starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP "CSV
injection"). Numbers stay numbers; only text a person typed can carry a formula."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip(" ")[:1] in FORMULA_STARTS and value.lstrip(" "):
        return "'" + value
    return value


def neutralise_row(row: list[Any]) -> list[Any]:
    return [neutralise(v) for v in row]


class SafeCsvWriter:
    """`csv.writer` whose every row is neutralised first."""

    def __init__(self, out: Any) -> None:
        import csv

        self._writer = csv.writer(out)

    def writerow(self, row: Any) -> Any:
        return self._writer.writerow(neutralise_row(list(row)))

    def writerows(self, rows: Any) -> None:
        for row in rows:
            self.writerow(row)
