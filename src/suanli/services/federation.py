"""Load a federation file into the database and read centers and pools back.

Loading is an upsert by name: new centers and pools are added, existing ones updated in place (a
price change is an audited event), nothing is deleted, since jobs and usage refer to pools.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from suanli.backends.registry import backend_class
from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.repositories import federation as repo
from suanli.domain.errors import NotFound, SuanliError
from suanli.domain.federation import Center, Pool
from suanli.domain.federation_file import parse_federation
from suanli.services import audit
from suanli.services.backends import BackendCache


def load_federation(session: Session, *, text: str, provider_ids: dict[str, int] | None = None) -> list[CenterRow]:
    """Parse, validate and upsert every center of a federation file (all or nothing)."""
    centers = parse_federation(text)
    rows = [_upsert_center(session, c, (provider_ids or {}).get(c.name)) for c in centers]
    session.flush()
    return rows


def _upsert_center(session: Session, center: Center, provider_id: int | None) -> CenterRow:
    row = repo.center_by_name(session, center.name)
    if row is None:
        row = CenterRow(name=center.name)
        session.add(row)
    row.name_zh, row.name_en, row.kind, row.city = center.name_zh, center.name_en, center.kind.value, center.city
    row.backend_kind, row.backend_options, row.green_share = center.backend_kind, center.backend_options, center.green_share
    if provider_id is not None:
        row.provider_organisation_id = provider_id
    session.flush()
    existing = {p.name: p for p in row.pools}
    for pool in center.pools:
        _upsert_pool(session, row, existing.get(pool.name), pool)
    return row


def _upsert_pool(session: Session, center: CenterRow, row: PoolRow | None, pool: Pool) -> None:
    acc = pool.accelerator
    old_price = row.price_fen_per_device_hour if row is not None else None
    if row is None:
        row = PoolRow(center_id=center.id, name=pool.name)
        center.pools.append(row)
    row.model, row.ecosystem, row.device_memory_gb, row.fp16_tflops = acc.model, acc.ecosystem.value, acc.memory_gb, acc.fp16_tflops
    row.nodes, row.devices_per_node = pool.nodes, pool.devices_per_node
    row.cpus_per_node, row.memory_gb_per_node, row.partition = pool.cpus_per_node, pool.memory_gb_per_node, pool.partition
    row.max_nodes = pool.max_nodes
    row.price_fen_per_device_hour = pool.price_fen_per_device_hour
    session.flush()
    if old_price != pool.price_fen_per_device_hour:
        audit.record_event(session, kind="pool.price_set", subject=f"pool/{row.id}",
                           payload={"center": center.name, "pool": pool.name, "old_price_fen": old_price,
                                    "price_fen_per_device_hour": pool.price_fen_per_device_hour},
                           organisation_id=center.provider_organisation_id)


def is_simulated(center: CenterRow) -> bool:
    """Whether the center's backend only simulates jobs (virtual time, no output): shown as 模拟."""
    try:
        return backend_class(center.backend_kind).simulated
    except SuanliError:
        return False


def list_centers(session: Session) -> Sequence[CenterRow]:
    return repo.list_centers(session)


def get_center(session: Session, *, name: str) -> CenterRow:
    row = repo.center_by_name(session, name)
    if row is None:
        raise NotFound(f"center {name!r} not found")
    return row


def list_pools(session: Session) -> Sequence[PoolRow]:
    return repo.list_pools(session)


def check_health(session: Session, *, name: str, backends: BackendCache) -> CenterRow:
    """Ask the center's backend for its health and its pools' free capacity, and keep the answer."""
    center = get_center(session, name=name)
    try:
        backend = backends.for_center(center)
        health = backend.health()
        free = {c.pool: c.free_devices for c in backend.capacity()} if health.ok else {}
    except SuanliError as exc:
        center.healthy, center.health_detail = False, exc.detail[:500]
    else:
        center.healthy, center.health_detail = health.ok, health.detail[:500]
        for pool in center.pools:
            pool.free_devices = free.get(pool.name, pool.free_devices)
    session.flush()
    return center
