"""The hot statements' driver cursor: kept with its DBAPI connection and used again, never shared
by two blocks at once, dropped after an error, and a driver error still leaves wrapped as Core's."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from suanli.db.repositories.dialects import driver_cursor


def test_the_cursor_is_kept_with_its_connection_and_used_again(engine: Engine) -> None:
    with engine.connect() as connection:
        with driver_cursor(connection) as first:
            first.execute("SELECT 1")
            assert first.fetchall() == [(1,)]
        with driver_cursor(connection) as again:
            assert again is first
            again.execute("SELECT 2")
            assert again.fetchall() == [(2,)]


def test_a_nested_block_gets_a_cursor_of_its_own(engine: Engine) -> None:
    with engine.connect() as connection, driver_cursor(connection) as outer:
        outer.execute("SELECT 1")
        with driver_cursor(connection) as inner:
            assert inner is not outer
            inner.execute("SELECT 2")
            assert inner.fetchall() == [(2,)]
        assert outer.fetchall() == [(1,)]  # the outer result was not clobbered


def test_after_a_driver_error_the_next_block_has_a_fresh_cursor(engine: Engine) -> None:
    with engine.connect() as connection:
        with driver_cursor(connection) as first:
            first.execute("SELECT 1")
            first.fetchall()
        with pytest.raises(DBAPIError), driver_cursor(connection) as failing:
            assert failing is first
            failing.execute("SELECT * FROM no_such_table")
        connection.rollback()
        with driver_cursor(connection) as fresh:
            assert fresh is not first
            fresh.execute("SELECT 3")
            assert fresh.fetchall() == [(3,)]
