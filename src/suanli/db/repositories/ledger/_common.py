"""Shared by the ledger repository modules: the row aliases and the dialect-specific INSERT."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from suanli.db.models.ledger import (
    LedgerAccountRow,
    LedgerLegRow,
    LedgerTransferRow,
)

A, T, L = LedgerAccountRow, LedgerTransferRow, LedgerLegRow


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(session: Session, table: Any) -> Any:
    return (postgresql.insert(table) if _dialect(session) == "postgresql" else sqlite.insert(table))
