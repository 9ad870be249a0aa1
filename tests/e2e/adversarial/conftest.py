"""Fixtures of the adversarial suite: a populated two-tenant world (on SQLite and PostgreSQL through
the shared `api` fixture)."""

from __future__ import annotations

import pytest
from adversarial_world import World, build_world


@pytest.fixture
def world(api) -> World:  # type: ignore[no-untyped-def]
    return build_world(api)
