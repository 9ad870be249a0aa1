"""Small hand-made federations for the broker's unit tests."""

from __future__ import annotations

from dataclasses import replace

from suanli.domain.placement import PoolView


def pool(pool_id: int, model: str = "A800", *, center: str | None = None, free: int | None = None,
         nodes: int = 4, dpn: int = 8, price: int = 1000, **extra) -> PoolView:
    view = PoolView(pool_id=pool_id, center=center or f"center-{pool_id}", pool=f"{model.lower()}-{pool_id}",
                    model=model, devices_per_node=dpn, nodes=nodes, price_fen_per_device_hour=price,
                    free_devices=nodes * dpn if free is None else free, city="chengdu", region="sichuan")
    return replace(view, **extra)
