"""One printed document: a header (title, number, issuer, recipient, period, date), a table whose
columns say how to show their cells (text, device-hours, yuan), and totals in yuan. Money stays
integer fen here; only the renderers show yuan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from suanli.domain.money import FEN_PER_YUAN, format_yuan


class Kind(StrEnum):
    TEXT = "text"
    HOURS = "hours"  # device-seconds shown as device-hours, two decimals
    YUAN = "yuan"  # fen shown as yuan


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Document:
    title: str
    number: str
    header: Sequence[tuple[str, str]]  # (label, value) lines under the title: issuer, recipient, period…
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    totals: Sequence[tuple[str, int]]  # (label, fen)
    notes: Sequence[str] = field(default_factory=tuple)
    sheet: str = "明细"


def yuan_decimal(fen: int) -> Decimal:
    """Exact yuan for a spreadsheet cell (never a float)."""
    return Decimal(int(fen)) / FEN_PER_YUAN


def hours_decimal(seconds: int) -> Decimal:
    return (Decimal(int(seconds)) / 3600).quantize(Decimal("0.01"))


def shown(value: Any, kind: Kind) -> str:
    """A cell as printed text."""
    if value is None:
        return "—"
    if kind is Kind.YUAN:
        return format_yuan(int(value))
    if kind is Kind.HOURS:
        return f"{hours_decimal(int(value)):,}"
    return str(value)
