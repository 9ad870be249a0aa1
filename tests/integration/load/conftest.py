"""Fixtures of the several-processes tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from suanli.db.engine import make_engine
from suanli.db.models import Base


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """PostgreSQL only (the several-processes-on-one-server case), emptied afterwards for the next test."""
    yield postgres_database
    engine = make_engine(postgres_database)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
