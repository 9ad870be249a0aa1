"""Backend adapters by kind: adapters register themselves, the platform creates them by name."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from suanli.backends.base import Backend
from suanli.domain.errors import InvalidInput

B = TypeVar("B", bound=type[Backend])

_KINDS: dict[str, type[Backend]] = {}
# Adapters import heavy clients (ray) lazily: a kind maps to its module, imported on first use.
_MODULES = {
    "local": "suanli.backends.local",
    "slurm": "suanli.backends.slurm",
    "ray": "suanli.backends.ray",
    "simulated": "suanli.backends.simulated",
    "ascend": "suanli.backends.simulated",
}


def register(kind: str) -> Callable[[B], B]:
    def decorate(cls: B) -> B:
        cls.kind = kind
        _KINDS[kind] = cls
        return cls

    return decorate


def backend_class(kind: str) -> type[Backend]:
    if kind not in _KINDS and kind in _MODULES:
        try:
            importlib.import_module(_MODULES[kind])
        except ImportError as exc:
            raise InvalidInput(f"backend kind {kind!r} is not available here: {exc}") from None
    try:
        return _KINDS[kind]
    except KeyError:
        raise InvalidInput(f"unknown backend kind {kind!r}; known: {', '.join(sorted(_MODULES))}") from None


def create(kind: str, center: str, options: dict[str, Any], pools: dict[str, tuple[str, int]]) -> Backend:
    return backend_class(kind)(center, options, pools)


def known_kinds() -> list[str]:
    return sorted(_MODULES)
