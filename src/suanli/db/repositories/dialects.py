"""What the repositories need to know of the two databases: which one a session talks to, and the
INSERT that can say ON CONFLICT (SQLAlchemy offers it per dialect, not on the generic insert)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def upsert(session: Session, table: Any) -> Any:
    """`INSERT` for `table` in the session's dialect, with `.on_conflict_do_nothing/update` available."""
    return postgresql.insert(table) if dialect_of(session) == "postgresql" else sqlite.insert(table)
