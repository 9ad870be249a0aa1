"""Readiness: is the database reachable and at the newest migration?"""

from __future__ import annotations

from sqlalchemy import Engine

from suanli.db.migrate import is_current


def readiness_problem(engine: Engine) -> str | None:
    """Why the process is not ready to serve, or None when it is."""
    try:
        current = is_current(engine)
    except Exception as exc:  # noqa: BLE001 - any database trouble means not ready
        return f"database unreachable: {type(exc).__name__}"
    return None if current else "database not migrated: run `suanli db upgrade`"
