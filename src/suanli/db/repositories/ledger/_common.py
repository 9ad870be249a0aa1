"""Shared by the ledger repository modules: the row aliases, and (under their old private names) the
dialect helpers of `repositories.dialects`."""

from __future__ import annotations

from suanli.db.models.ledger import (
    LedgerAccountRow,
    LedgerLegRow,
    LedgerTransferRow,
)
from suanli.db.repositories.dialects import dialect_of as _dialect
from suanli.db.repositories.dialects import upsert as _insert

A, T, L = LedgerAccountRow, LedgerTransferRow, LedgerLegRow

__all__ = ["A", "L", "T", "_dialect", "_insert"]
