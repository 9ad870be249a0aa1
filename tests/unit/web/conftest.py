"""The web unit tests run over SQLite only: the pages read the same services the API tests cover on
both databases."""

from __future__ import annotations

import pytest


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url
