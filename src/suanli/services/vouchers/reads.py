"""Read models of the voucher capability with the tenant scope built in: an organisation sees only
its own applications, grants, wallets and redemptions, and another tenant's object is a 404 (never a
403 that would confirm it exists). Programs are public to every signed-in principal. The edges call
these instead of reading repositories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy.orm import Session

from suanli.db.models.vouchers import (
    VoucherApplicationRow,
    VoucherGrantRow,
    VoucherProgramRow,
    VoucherRedemptionRow,
    VoucherWalletRow,
)
from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import InvalidInput
from suanli.domain.organisations import Principal
from suanli.domain.vouchers.errors import VoucherNotFound
from suanli.services.vouchers.programs import program_row
from suanli.services.vouchers.wallets import wallet_state


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    GRANTED = "granted"


def tenant_scope(actor: Principal, organisation_id: int | None = None) -> int | None:
    """The organisation a listing is limited to: the actor's own for tenant roles, else the filter."""
    return organisation_id if actor.sees_all_tenants else actor.organisation_id


def list_programs(session: Session, *, actor: Principal, offset: int = 0, limit: int = 100) -> Sequence[VoucherProgramRow]:
    return repo.list_programs(session, offset=offset, limit=limit)


def get_program(session: Session, *, program_id: int, actor: Principal | None = None) -> VoucherProgramRow:
    return program_row(session, program_id)


def list_applications(session: Session, *, actor: Principal, program_id: int | None = None,
                      status: str | None = None, offset: int = 0, limit: int = 100) -> Sequence[VoucherApplicationRow]:
    if status is not None and status not in ApplicationStatus.__members__.values():
        raise InvalidInput(f"status must be one of {', '.join(ApplicationStatus)}", field="status")
    return repo.list_applications(session, program_id=program_id, organisation_id=tenant_scope(actor), status=status,
                                  offset=offset, limit=limit)


def get_application(session: Session, *, application_id: int, actor: Principal) -> VoucherApplicationRow:
    row = repo.get_application(session, application_id) if 0 < application_id < 2**62 else None
    if row is None or not actor.may_read_organisation(row.organisation_id):
        raise VoucherNotFound(f"application {application_id} does not exist")
    return row


def get_grant(session: Session, *, application_id: int, actor: Principal) -> VoucherGrantRow:
    grant = repo.grant_of(session, application_id)
    if grant is None or not actor.may_read_organisation(grant.organisation_id):
        raise VoucherNotFound(f"application {application_id} has no grant")
    return grant


@dataclass(frozen=True, slots=True)
class WalletView:
    """A wallet as its holder and the officers see it, with what is still available."""

    id: int
    program_id: int
    organisation_id: int
    side: str
    granted_fen: int
    reserved_fen: int
    redeemed_fen: int
    returned_fen: int
    available_fen: int
    expires_on: date
    status: str


def wallet_view(w: VoucherWalletRow) -> WalletView:
    return WalletView(w.id, w.program_id, w.organisation_id, w.side, int(w.granted_fen),
                      int(w.reserved_fen), int(w.redeemed_fen), int(w.returned_fen),
                      wallet_state(w).available_fen if w.status == "active" else 0, w.expires_on, w.status)


def list_wallets(session: Session, *, actor: Principal, organisation_id: int | None = None,
                 program_id: int | None = None, offset: int = 0, limit: int = 500) -> list[WalletView]:
    rows = repo.list_wallets(session, organisation_id=tenant_scope(actor, organisation_id), program_id=program_id,
                             offset=offset, limit=limit)
    return [wallet_view(w) for w in rows]


def list_redemptions(session: Session, *, actor: Principal, program_id: int | None = None, offset: int = 0,
                     limit: int = 100) -> Sequence[VoucherRedemptionRow]:
    return repo.list_redemptions(session, organisation_id=tenant_scope(actor), program_id=program_id, offset=offset,
                                 limit=limit)


def get_redemption(session: Session, *, redemption_id: int, actor: Principal) -> VoucherRedemptionRow:
    row = repo.get_redemption(session, redemption_id)
    if row is None or not actor.may_read_organisation(row.organisation_id):
        raise VoucherNotFound(f"redemption {redemption_id} does not exist")
    return row
