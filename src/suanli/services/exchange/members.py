"""Trader roles (数商): an organisation applies for a role, the exchange operator approves or
rejects it; every step is logged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.exchange import ExchangeMembershipRow
from suanli.db.repositories import exchange as repo
from suanli.domain.errors import Forbidden
from suanli.domain.exchange import (
    ExchangeConflict,
    ExchangeInvalid,
    ExchangeNotFound,
    MembershipStatus,
    TraderRole,
)
from suanli.domain.organisations import Principal, Role
from suanli.services.exchange.common import audit, is_operator, require_operator


def apply_for_role(session: Session, *, principal: Principal, role: TraderRole | str,
                   statement: str = "") -> ExchangeMembershipRow:
    if principal.role not in (Role.ORG_ADMIN, Role.PROVIDER_ADMIN):
        raise Forbidden("an organisation's admin applies for a trader role")
    try:
        role = TraderRole(role)
    except ValueError:
        raise ExchangeInvalid(f"unknown trader role {role!r}", field="role") from None
    if len(statement) > 2000:
        raise ExchangeInvalid("statement must have at most 2000 characters", field="statement")
    existing = repo.membership(session, principal.organisation_id, role.value)
    if existing is not None and existing.status != MembershipStatus.REJECTED.value:
        raise ExchangeConflict(f"your organisation already applied for {role.value} ({existing.status})")
    if existing is not None:  # a rejected application may be made again
        existing.status, existing.statement, existing.applied_by = MembershipStatus.PENDING.value, statement, principal.user_id
        existing.decided_by, existing.decided_at, existing.note = None, None, ""
        row = existing
    else:
        row = repo.add(session, ExchangeMembershipRow(organisation_id=principal.organisation_id, role=role.value,
                                                      status=MembershipStatus.PENDING.value, statement=statement,
                                                      applied_by=principal.user_id))
    audit(session, "exchange.role_applied", f"exchange_membership:{row.id}", {"role": role.value},
          principal.organisation_id)
    return row


def decide_role(session: Session, *, principal: Principal, membership_id: int, approve: bool,
                note: str = "") -> ExchangeMembershipRow:
    require_operator(principal)
    row = repo.get_membership(session, membership_id)
    if row is None:
        raise ExchangeNotFound(f"role application {membership_id} not found")
    if row.status != MembershipStatus.PENDING.value:
        raise ExchangeConflict(f"role application {membership_id} was already decided ({row.status})")
    row.status = (MembershipStatus.APPROVED if approve else MembershipStatus.REJECTED).value
    row.decided_by, row.decided_at, row.note = principal.user_id, utcnow(), note[:2000]
    session.flush()
    audit(session, "exchange.role_decided", f"exchange_membership:{row.id}",
          {"role": row.role, "status": row.status, "by": principal.user_id}, row.organisation_id)
    return row


def list_memberships(session: Session, *, principal: Principal, status: str | None = None
                     ) -> Sequence[ExchangeMembershipRow]:
    only = None if is_operator(principal) else principal.organisation_id
    return repo.list_memberships(session, organisation_id=only, status=status)


@dataclass(frozen=True)
class Assessor:
    organisation_id: int
    name: str  # the organisation's handle
    name_zh: str
    name_en: str | None


def approved_assessors(session: Session) -> list[Assessor]:
    """Every approved assessor, for the supplier to choose from."""
    rows = repo.list_memberships(session, status=MembershipStatus.APPROVED.value, role=TraderRole.ASSESSOR.value)
    names = repo.organisation_names(session, [r.organisation_id for r in rows])
    return [Assessor(r.organisation_id, *names[r.organisation_id]) for r in rows]
