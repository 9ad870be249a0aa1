"""How one capability calls into another without importing it: looked up by module and function
name at call time, so the core runs and is tested alone and the capabilities plug in (billing into
the job life cycle, placement into dispatch, vouchers into billing and quotes).

Only a missing module counts as "not installed"; an import error raised inside an installed module
is a bug and propagates.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def capability(module: str, name: str) -> Callable[..., Any] | None:
    """`module.name` when that module is installed and defines it, else None."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module.startswith(exc.name):
            raise
        return None
    function: Callable[..., Any] | None = getattr(found, name, None)
    return function


def call_hook(module: str, name: str, **kwargs: Any) -> None:
    """Call `module.name(**kwargs)` when it exists; nothing otherwise."""
    function = capability(module, name)
    if function is not None:
        function(**kwargs)
