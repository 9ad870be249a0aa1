"""A seeded SQLite database for the CLI tests (the CLI opens its own engine from the URL)."""

from __future__ import annotations

import pytest
from placement_db import seed

from suanli.db.engine import make_engine
from suanli.db.uow import session_factory, unit_of_work


@pytest.fixture
def sessions_for_sqlite(sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(session_factory(engine)) as s:
        seed(s)
    engine.dispose()
