"""Quotes (报价): the broker's ranked, explained options for a request, over the federation as the
database knows it now.

Pools become `PoolView`s with their free devices (the center's last capacity report, else total minus
the devices of active jobs), queue and remaining runtime; the subsidy comes from the voucher
capability when it is installed (`ports.VoucherEngine.subsidy_policy`), else none applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.repositories import placement as repo
from suanli.domain.organisations import Principal
from suanli.domain.placement import PlacementRequest, PoolView, Quote
from suanli.domain.placement import quote as rank_options
from suanli.domain.subsidy import NoSubsidy, SubsidyPolicy
from suanli.services.ports import installed

DEFAULT_REMAINING_HOURS = 4.0


def subsidy_policy(session: Session, *, organisation_ids: Sequence[int]) -> SubsidyPolicy:
    """The voucher engine's answer for these payers, or `NoSubsidy` when vouchers are not installed."""
    vouchers = installed().vouchers
    return vouchers.subsidy_policy(session, organisation_ids=list(organisation_ids)) if vouchers else NoSubsidy()


def pool_views(session: Session, *, subsidy: SubsidyPolicy | None = None, now: datetime | None = None) -> list[PoolView]:
    """Every pool as the broker sees it now. A pool is designated when the subsidy policy names its
    center among `designated_centers` (programs that restrict where vouchers are honoured)."""
    now = now or utcnow()
    loads = repo.load_per_pool(session, now)
    designated = set(getattr(subsidy, "designated_centers", ()) or ())
    views = []
    for row in repo.pools_with_centers(session):
        load = loads.get(row.id, repo.PoolLoad())
        free = row.free_devices if row.free_devices is not None else row.total_devices - load.held_devices
        remaining = load.remaining_hours or [DEFAULT_REMAINING_HOURS]
        center = row.center
        views.append(PoolView(
            pool_id=row.id, center=center.name, pool=row.name, model=row.model,
            devices_per_node=row.devices_per_node, nodes=row.nodes,
            price_fen_per_device_hour=row.price_fen_per_device_hour, free_devices=max(free, 0),
            cpus_per_node=row.cpus_per_node, memory_gb_per_node=row.memory_gb_per_node,
            queued_device_hours=load.queued_device_hours, mean_remaining_hours=sum(remaining) / len(remaining),
            green_share=center.green_share, city=center.city, region=str((center.backend_options or {}).get("region", "")),
            designated=center.name in designated, available=center.healthy, max_nodes=row.max_nodes,
        ))
    return views


def quote(session: Session, *, principal: Principal | None, request: PlacementRequest,
          subsidy: SubsidyPolicy | None = None, weights: Mapping[str, Mapping[str, float]] | None = None,
          blocked: Mapping[int, str] | None = None, simulated: bool = True) -> Quote:
    """Ranked options for `request` paid by the principal's organisation (no payer: list prices).
    `simulated=False` leaves simulated centers out, as automatic placement does for a job that does
    not allow them (services/placement.py)."""
    payer = principal.organisation_id if principal else 0
    if subsidy is None:
        subsidy = subsidy_policy(session, organisation_ids=[payer]) if principal else NoSubsidy()
    views = pool_views(session, subsidy=subsidy)
    if not simulated:
        shunned = repo.simulated_pool_ids(session)
        views = [v for v in views if v.pool_id not in shunned]
    return rank_options(request, views, payer=payer, subsidy=subsidy, weights=weights, blocked=blocked)


def quote_body(result: Quote) -> dict[str, Any]:
    """The quote as the API and `suanli quote --json` return it."""
    return result.as_dict()
