"""Voucher pages: an organisation's own programs, applications, wallets and redemptions; the
officers' program list, a program with its charts' facts, and the application queue with reviews."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from suanli.db.models.organisations import OrganisationRow
from suanli.db.models.vouchers import (
    VoucherApplicationRow,
    VoucherProgramRow,
    VoucherRedemptionRow,
    VoucherReviewRow,
    VoucherWalletRow,
)
from suanli.db.repositories import vouchers as repo
from suanli.db.repositories import web as web_repo
from suanli.domain.errors import InvalidInput, NotFound
from suanli.domain.organisations import Principal, Role
from suanli.services.audit import LogPlace, places_of
from suanli.services.views.common import require_role

APPLICANTS = (Role.ORG_ADMIN, Role.PROVIDER_ADMIN, Role.ORG_MEMBER)
OFFICE = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR, Role.FINANCE_OFFICER, Role.AUDITOR)
QUEUE = (Role.PROGRAM_OFFICER, Role.FINANCE_OFFICER, Role.PLATFORM_OPERATOR)
STATUSES = ("pending", "submitted", "in_review", "needs_documents", "approved", "rejected", "granted", "")


@dataclass
class OwnVouchers:
    programs: Sequence[VoucherProgramRow]
    applications: Sequence[VoucherApplicationRow]
    wallets: Sequence[VoucherWalletRow]
    redemptions: Sequence[VoucherRedemptionRow]
    # Each redemption's place in the audit log (by id): seq and leaf hash, or pending while the
    # sequencer has not placed its event yet; None for a row with no receipt.
    receipt_places: Mapping[int, LogPlace | None] = field(default_factory=dict)


def own_vouchers(session: Session, *, principal: Principal) -> OwnVouchers:
    """The signed-in organisation's voucher business (never another organisation's)."""
    require_role(principal, *APPLICANTS)
    org = principal.organisation_id
    redemptions = repo.list_redemptions(session, organisation_id=org, limit=200)
    places = places_of(session, [r.receipt for r in redemptions])
    return OwnVouchers(repo.list_programs(session), repo.list_applications(session, organisation_id=org, limit=200),
                       repo.list_wallets(session, organisation_id=org), redemptions,
                       {r.id: place for r, place in zip(redemptions, places, strict=True)})


def list_programs(session: Session, *, principal: Principal) -> Sequence[VoucherProgramRow]:
    """Programs are public policy: every signed-in role reads them."""
    return repo.list_programs(session)


def get_program(session: Session, *, principal: Principal, program_id: int) -> VoucherProgramRow:
    require_role(principal, *OFFICE)
    row = repo.get_program(session, program_id) if 0 < program_id < 2**62 else None
    if row is None:
        raise NotFound(f"program {program_id} not found")
    return row


def grant_facts(session: Session, *, principal: Principal, program_id: int) -> list[tuple[str | None, str, int]]:
    get_program(session, principal=principal, program_id=program_id)
    return web_repo.grant_facts(session, program_id)


def redeemed_by_provider(session: Session, *, principal: Principal, program_id: int) -> list[tuple[str, int]]:
    get_program(session, principal=principal, program_id=program_id)
    return web_repo.redeemed_by_provider(session, program_id)


@dataclass
class Queue:
    applications: list[VoucherApplicationRow]
    organisations: dict[int, OrganisationRow]
    reviews: dict[int, Sequence[VoucherReviewRow]]


def queue_of(session: Session, *, principal: Principal, applications: Sequence[VoucherApplicationRow]) -> Queue:
    """The applicants and the reviews so far of a page of the queue (`services.views.lists.applications`)."""
    require_role(principal, *QUEUE)
    rows = list(applications)
    return Queue(rows, web_repo.organisation_names(session, [a.organisation_id for a in rows]),
                 {a.id: repo.reviews_of(session, a.id) for a in rows})


def application_queue(session: Session, *, principal: Principal, status: str) -> Queue:
    require_role(principal, *QUEUE)
    if status not in STATUSES:
        raise InvalidInput(f"unknown application status {status!r}", field="status")
    if status == "pending":
        rows = [*repo.list_applications(session, status="submitted", limit=200),
                *repo.list_applications(session, status="in_review", limit=200)]
    else:
        rows = list(repo.list_applications(session, status=status or None, limit=200))
    rows.sort(key=lambda a: (not a.priority, a.id))
    return Queue(rows, web_repo.organisation_names(session, [a.organisation_id for a in rows]),
                 {a.id: repo.reviews_of(session, a.id) for a in rows})
