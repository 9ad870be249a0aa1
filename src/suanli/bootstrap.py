"""The composition root: the one place that decides which capabilities a process runs with and wires
them into the typed seams of `services.ports` (cosmicpython's `bootstrap.py`).

Every edge calls `wire(settings)` once as it starts (the API app factory, the CLI's local commands,
the worker); services then reach other capabilities only through `ports.installed()`. The names in
`Settings.capabilities` choose; an unknown name is refused at start, never ignored.
"""

from __future__ import annotations

from suanli.config import Settings, load_settings
from suanli.services.ports import Capabilities, install

KNOWN = frozenset({"billing", "placement", "vouchers"})


def capabilities_for(names: frozenset[str]) -> Capabilities:
    """The capabilities named, each the module or adapter that implements its Protocol."""
    unknown = set(names) - KNOWN
    if unknown:
        raise ValueError(f"unknown capabilities {sorted(unknown)}; known: {sorted(KNOWN)}")
    from suanli.services import billing, placement
    from suanli.services.vouchers import engine

    return Capabilities(
        lifecycle=billing if "billing" in names else None,
        placer=placement if "placement" in names else None,
        vouchers=engine.VOUCHER_ENGINE if "vouchers" in names else None,
    )


def wire(settings: Settings | None = None) -> Capabilities:
    """Build and install this process's capabilities from `settings` (default: the environment)."""
    settings = settings or load_settings()
    return install(capabilities_for(frozenset(settings.capabilities)))
