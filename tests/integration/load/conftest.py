"""Fixtures of the several-processes tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from suanli.db.engine import make_engine
from suanli_testing import empty_postgres


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """PostgreSQL only (the several-processes-on-one-server case), emptied afterwards for the next test."""
    yield postgres_database
    engine = make_engine(postgres_database)
    empty_postgres(engine)
    engine.dispose()
