"""A provider's own centers: offerings, usage totals, orders placed on its pools and its statements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.db.models.federation import CenterRow
from suanli.db.models.jobs import JobRow
from suanli.db.models.ledger import SettlementStatementRow
from suanli.db.repositories import web as repo
from suanli.domain.organisations import Principal, Role
from suanli.services.views.common import require_role


@dataclass
class ProviderView:
    centers: Sequence[CenterRow]
    totals: dict[int, tuple[int, int]]
    orders: list[tuple[JobRow, str, str]]
    statements: Sequence[SettlementStatementRow]


def own_centers(session: Session, *, principal: Principal) -> ProviderView:
    require_role(principal, Role.PROVIDER_ADMIN)
    centers = repo.centers_of_provider(session, principal.organisation_id)
    ids = [c.id for c in centers]
    accounts = repo.provider_accounts(session, purpose="provider_payable", organisation_id=principal.organisation_id)
    return ProviderView(centers, repo.usage_totals_by_center(session, ids), repo.orders_at_centers(session, ids),
                        repo.statements_for_accounts(session, [a.id for a in accounts]))
