"""What every exchange use case shares: the audit seam, who may act in which trader role (数商),
and which products and versions a principal may see (another tenant's unlisted draft is a 404)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.exchange import ExchangeProductRow, ExchangeVersionRow
from suanli.db.repositories import exchange as repo
from suanli.domain.errors import Forbidden
from suanli.domain.exchange import ExchangeNotFound, MembershipStatus, TraderRole, VersionStatus
from suanli.domain.organisations import Principal, Role
from suanli.services.audit import log_reference, record_event

ACTING_ROLES = (Role.ORG_ADMIN, Role.ORG_MEMBER, Role.PROVIDER_ADMIN)
PUBLIC_STATUSES = frozenset({VersionStatus.IN_NOTICE.value, VersionStatus.REGISTERED.value})


def audit(session: Session, kind: str, subject: str, payload: dict[str, Any],
          organisation_id: int | None = None) -> None:
    """Append the step to the transparency log's outbox (the sequencer places it after COMMIT)."""
    record_event(session, kind=kind, subject=subject, payload=payload, organisation_id=organisation_id)


def placed(session: Session, kind: str, subject: str, payload: dict[str, Any],
           organisation_id: int | None = None) -> dict[str, Any]:
    """Append the step to the outbox and return what the caller's row keeps of it, `{"outbox_id": N}`
    (no log lock; `services.audit.receipt_of_reference` makes the signed receipt once it is placed)."""
    return log_reference(record_event(session, kind=kind, subject=subject, payload=payload,
                                      organisation_id=organisation_id))


def is_operator(principal: Principal | None) -> bool:
    return principal is not None and principal.role == Role.PLATFORM_OPERATOR


def require_operator(principal: Principal) -> None:
    if not is_operator(principal):
        raise Forbidden("only the exchange operator (平台运营方) does this")


def has_role(session: Session, organisation_id: int, role: TraderRole) -> bool:
    row = repo.membership(session, organisation_id, role.value)
    return row is not None and row.status == MembershipStatus.APPROVED.value


def require_trader(session: Session, principal: Principal, role: TraderRole) -> None:
    """The principal acts for an organisation approved in `role` at the exchange."""
    if principal.role not in ACTING_ROLES:
        raise Forbidden("only members of an organisation act as a trader (数商)")
    if not has_role(session, principal.organisation_id, role):
        raise Forbidden(f"your organisation is not an approved {role.value} at the exchange "
                        f"(尚未获批该数商角色)", role=role.value)


def may_see_version(session: Session, principal: Principal | None, product: ExchangeProductRow,
                    version: ExchangeVersionRow) -> bool:
    if version.status in PUBLIC_STATUSES or is_operator(principal):
        return True
    if principal is None:
        return False
    return principal.organisation_id in (product.supplier_organisation_id, version.assessor_organisation_id)


def product_for(session: Session, principal: Principal | None, product_id: int) -> ExchangeProductRow:
    """A product the principal may see: listed ones for all, drafts for the supplier, its assessor, the operator."""
    product = repo.get_product(session, product_id)
    if product is None or not (product.registered or any(
            may_see_version(session, principal, product, v) for v in repo.versions_of(session, product.id))):
        raise ExchangeNotFound(f"data product {product_id} not found")
    return product


def version_for(session: Session, principal: Principal | None, version_id: int, *,
                for_update: bool = False) -> tuple[ExchangeProductRow, ExchangeVersionRow]:
    version = repo.get_version(session, version_id, for_update=for_update)
    product = repo.get_product(session, version.product_id) if version is not None else None
    if version is None or product is None or not may_see_version(session, principal, product, version):
        raise ExchangeNotFound(f"product version {version_id} not found")
    return product, version


def org_name(session: Session, organisation_id: int) -> str:
    row = repo.organisation(session, organisation_id)
    return row.name if row is not None else str(organisation_id)
