"""One backend adapter instance per center, created on first use and kept for the process.

Adapters may hold state (the simulated center's virtual clock, a Ray client), so the app and each
worker process keep one `BackendCache` and pass it to the use cases that talk to centers.
"""

from __future__ import annotations

import json
from pathlib import Path

from suanli.backends.base import Backend
from suanli.backends.registry import create
from suanli.db.models.federation import CenterRow
from suanli.metrics import InstrumentedBackend


class BackendCache:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._adapters: dict[tuple[str, str], Backend] = {}

    def for_center(self, center: CenterRow) -> Backend:
        options = dict(center.backend_options)
        if center.backend_kind == "local":
            options.setdefault("root", str(self.data_dir / "jobs"))
        if center.backend_kind in ("simulated", "ascend"):
            # The simulated center packs jobs onto nodes, so it needs each pool's node shape.
            options.setdefault("devices_per_node", {p.name: p.devices_per_node for p in center.pools})
        key = (center.name, json.dumps([center.backend_kind, options], sort_keys=True, default=str))
        adapter = self._adapters.get(key)
        if adapter is None:
            pools = {p.name: (p.model, p.total_devices) for p in center.pools}
            adapter = InstrumentedBackend(create(center.backend_kind, center.name, options, pools))  # type: ignore[assignment]
            self._adapters[key] = adapter
        return adapter
