"""The exchange fixture (see exchange_world.py)."""

from __future__ import annotations

from typing import Any

import pytest
from exchange_world import Exchange, make_exchange


@pytest.fixture
def exchange(api: Any) -> Exchange:
    return make_exchange(api)
