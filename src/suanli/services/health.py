"""Readiness: is the database reachable and at the newest migration?"""

from __future__ import annotations

from suanli.db.engine import probe_engine
from suanli.db.migrate import current_heads, newest_heads


class ReadinessProbe:
    """Readiness through a tiny engine of its own (never the business pool, so a probe never waits
    behind business requests: docs/operations-load.md), against heads read once."""

    def __init__(self, url: str) -> None:
        self.engine = probe_engine(url)
        self.heads = newest_heads(url)

    def problem(self) -> str | None:
        try:
            current = current_heads(self.engine)
        except Exception as exc:  # noqa: BLE001 - any database trouble means not ready
            return f"database unreachable: {type(exc).__name__}"
        return None if current == self.heads else "database not migrated: run `suanli db upgrade`"

    def dispose(self) -> None:
        self.engine.dispose()
