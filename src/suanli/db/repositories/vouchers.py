"""Queries for the voucher tables. Rows that guard money (programs, wallets, redemptions,
reservations) are read `FOR UPDATE` when a use case is about to change them (PostgreSQL row locks;
SQLite's BEGIN IMMEDIATE already serialises writers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.organisations import OrganisationRow
from suanli.db.models.vouchers import (
    VoucherApplicationRow,
    VoucherContractRow,
    VoucherDocumentRow,
    VoucherGrantRow,
    VoucherProgramRow,
    VoucherRedemptionRow,
    VoucherReservationRow,
    VoucherReviewRow,
    VoucherWalletRow,
)

Row = TypeVar("Row")


def add(session: Session, row: Row) -> Row:
    session.add(row)
    session.flush()
    return row


def _get(session: Session, model: type[Row], row_id: int, for_update: bool) -> Row | None:
    query = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def get_program(session: Session, program_id: int, *, for_update: bool = False) -> VoucherProgramRow | None:
    return _get(session, VoucherProgramRow, program_id, for_update)


def program_by_code(session: Session, code: str) -> VoucherProgramRow | None:
    return session.scalar(select(VoucherProgramRow).where(VoucherProgramRow.code == code))


def list_programs(session: Session, *, offset: int = 0, limit: int = 100) -> Sequence[VoucherProgramRow]:
    return session.scalars(select(VoucherProgramRow).order_by(VoucherProgramRow.id).offset(offset).limit(limit)).all()


def get_application(session: Session, application_id: int, *, for_update: bool = False) -> VoucherApplicationRow | None:
    return _get(session, VoucherApplicationRow, application_id, for_update)


def list_applications(session: Session, *, program_id: int | None = None, organisation_id: int | None = None,
                      status: str | None = None, offset: int = 0, limit: int = 100) -> Sequence[VoucherApplicationRow]:
    query = select(VoucherApplicationRow)
    if program_id is not None:
        query = query.where(VoucherApplicationRow.program_id == program_id)
    if organisation_id is not None:
        query = query.where(VoucherApplicationRow.organisation_id == organisation_id)
    if status is not None:
        query = query.where(VoucherApplicationRow.status == status)
    # Priority sectors first, then first come first served.
    query = query.order_by(VoucherApplicationRow.priority.desc(), VoucherApplicationRow.id)
    return session.scalars(query.offset(offset).limit(limit)).all()


def reviews_of(session: Session, application_id: int) -> Sequence[VoucherReviewRow]:
    query = select(VoucherReviewRow).where(VoucherReviewRow.application_id == application_id)
    return session.scalars(query.order_by(VoucherReviewRow.id)).all()


def grant_of(session: Session, application_id: int) -> VoucherGrantRow | None:
    return session.scalar(select(VoucherGrantRow).where(VoucherGrantRow.application_id == application_id))


def organisation_granted(session: Session, program_id: int, organisation_id: int) -> int:
    query = select(func.coalesce(func.sum(VoucherGrantRow.amount_fen), 0)).where(
        VoucherGrantRow.program_id == program_id, VoucherGrantRow.organisation_id == organisation_id)
    return int(session.scalar(query) or 0)


def organisation_grants_in_year(session: Session, organisation_id: int, start: Any,
                                end: Any) -> Sequence[tuple[VoucherProgramRow, int]]:
    """Each program's total granted to the organisation in [start, end) (a calendar year)."""
    query = (select(VoucherProgramRow, func.sum(VoucherGrantRow.amount_fen))
             .join(VoucherGrantRow, VoucherGrantRow.program_id == VoucherProgramRow.id)
             .where(VoucherGrantRow.organisation_id == organisation_id, VoucherGrantRow.created_at >= start,
                    VoucherGrantRow.created_at < end)
             .group_by(VoucherProgramRow.id))
    return [(row, int(total or 0)) for row, total in session.execute(query).all()]


def funder_splits(session: Session, program_id: int) -> list[dict[str, int]]:
    query = select(VoucherGrantRow.funder_split).where(VoucherGrantRow.program_id == program_id,
                                                       VoucherGrantRow.funder_split.is_not(None))
    return [dict(s) for s in session.scalars(query).all() if s]


def get_wallet(session: Session, wallet_id: int, *, for_update: bool = False) -> VoucherWalletRow | None:
    return _get(session, VoucherWalletRow, wallet_id, for_update)


def wallet_of(session: Session, program_id: int, organisation_id: int, *, for_update: bool = False) -> VoucherWalletRow | None:
    query = select(VoucherWalletRow).where(VoucherWalletRow.program_id == program_id,
                                           VoucherWalletRow.organisation_id == organisation_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def list_wallets(session: Session, *, organisation_id: int | None = None, program_id: int | None = None,
                 status: str | None = None, offset: int = 0, limit: int = 500) -> Sequence[VoucherWalletRow]:
    query = select(VoucherWalletRow)
    if organisation_id is not None:
        query = query.where(VoucherWalletRow.organisation_id == organisation_id)
    if program_id is not None:
        query = query.where(VoucherWalletRow.program_id == program_id)
    if status is not None:
        query = query.where(VoucherWalletRow.status == status)
    return session.scalars(query.order_by(VoucherWalletRow.id).offset(offset).limit(limit)).all()


def expired_wallets(session: Session, today: date) -> Sequence[VoucherWalletRow]:
    query = select(VoucherWalletRow).where(VoucherWalletRow.status == "active", VoucherWalletRow.expires_on < today)
    return session.scalars(query.order_by(VoucherWalletRow.id)).all()


def prior_claims(session: Session, basis: str) -> list[tuple[str, str, str]]:
    """(program code, side claimed, program side mode) of every claim on `basis`, in any program."""
    query = (select(VoucherProgramRow.code, VoucherRedemptionRow.side, VoucherProgramRow.side_mode)
             .join(VoucherProgramRow, VoucherProgramRow.id == VoucherRedemptionRow.program_id)
             .where(VoucherRedemptionRow.basis == basis))
    return [(code, side, mode) for code, side, mode in session.execute(query).all()]


def get_redemption(session: Session, redemption_id: int, *, for_update: bool = False) -> VoucherRedemptionRow | None:
    return _get(session, VoucherRedemptionRow, redemption_id, for_update)


def redemption_by_claim(session: Session, claim_key: str) -> VoucherRedemptionRow | None:
    return session.scalar(select(VoucherRedemptionRow).where(VoucherRedemptionRow.claim_key == claim_key))


def redemption_by_key(session: Session, organisation_id: int, idempotency_key: str) -> VoucherRedemptionRow | None:
    return session.scalar(select(VoucherRedemptionRow).where(VoucherRedemptionRow.organisation_id == organisation_id,
                                                            VoucherRedemptionRow.idempotency_key == idempotency_key))


def list_redemptions(session: Session, *, organisation_id: int | None = None, program_id: int | None = None,
                     offset: int = 0, limit: int = 100) -> Sequence[VoucherRedemptionRow]:
    query = select(VoucherRedemptionRow)
    if organisation_id is not None:
        query = query.where(VoucherRedemptionRow.organisation_id == organisation_id)
    if program_id is not None:
        query = query.where(VoucherRedemptionRow.program_id == program_id)
    return session.scalars(query.order_by(VoucherRedemptionRow.id).offset(offset).limit(limit)).all()


def reservation_of_job(session: Session, job_id: int, *, for_update: bool = False) -> VoucherReservationRow | None:
    query = select(VoucherReservationRow).where(VoucherReservationRow.job_id == job_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def usage_with_center(session: Session, usage_record_id: int) -> tuple[UsageRecordRow, str, JobRow] | None:
    query = (select(UsageRecordRow, CenterRow.name, JobRow)
             .join(CenterRow, CenterRow.id == UsageRecordRow.center_id)
             .join(JobRow, JobRow.id == UsageRecordRow.job_id)
             .where(UsageRecordRow.id == usage_record_id))
    found = session.execute(query).first()
    return (found[0], found[1], found[2]) if found else None


def pool_ecosystem(session: Session, pool_id: int | None) -> str | None:
    """The accelerator ecosystem of a pool (what ratio rules by ecosystem read for metered usage)."""
    return None if pool_id is None else session.scalar(select(PoolRow.ecosystem).where(PoolRow.id == pool_id))


def get_organisation(session: Session, organisation_id: int, *, for_update: bool = False) -> OrganisationRow | None:
    return _get(session, OrganisationRow, organisation_id, for_update)


def grants_by_day(session: Session, program_id: int) -> list[tuple[Any, int]]:
    query = (select(VoucherGrantRow.created_at, VoucherGrantRow.amount_fen)
             .where(VoucherGrantRow.program_id == program_id).order_by(VoucherGrantRow.id))
    return [(created, int(amount)) for created, amount in session.execute(query).all()]


def disclosure_rows(session: Session, program_id: int) -> list[tuple[VoucherGrantRow, OrganisationRow, VoucherApplicationRow]]:
    query = (select(VoucherGrantRow, OrganisationRow, VoucherApplicationRow)
             .join(OrganisationRow, OrganisationRow.id == VoucherGrantRow.organisation_id)
             .join(VoucherApplicationRow, VoucherApplicationRow.id == VoucherGrantRow.application_id)
             .where(VoucherGrantRow.program_id == program_id).order_by(VoucherGrantRow.id))
    return [(g, o, a) for g, o, a in session.execute(query).all()]


def active_holdings(session: Session, organisation_ids: Sequence[int], today: date,
                    ) -> list[tuple[VoucherWalletRow, VoucherProgramRow, OrganisationRow]]:
    """Every active, unexpired wallet of these organisations with its program and organisation."""
    if not organisation_ids:
        return []
    query = (select(VoucherWalletRow, VoucherProgramRow, OrganisationRow)
             .join(VoucherProgramRow, VoucherProgramRow.id == VoucherWalletRow.program_id)
             .join(OrganisationRow, OrganisationRow.id == VoucherWalletRow.organisation_id)
             .where(VoucherWalletRow.organisation_id.in_(list(organisation_ids)),
                    VoucherWalletRow.status == "active", VoucherWalletRow.expires_on >= today)
             .order_by(VoucherWalletRow.id))
    return [(w, p, o) for w, p, o in session.execute(query).all()]


def center_names(session: Session) -> list[str]:
    return list(session.scalars(select(CenterRow.name).order_by(CenterRow.name)))


def centers_of_provider(session: Session, organisation_id: int) -> list[str]:
    """Names of the centers an organisation operates (as their provider of record)."""
    query = select(CenterRow.name).where(CenterRow.provider_organisation_id == organisation_id).order_by(CenterRow.name)
    return list(session.scalars(query))


def get_contract(session: Session, contract_id: int, *, for_update: bool = False) -> VoucherContractRow | None:
    return _get(session, VoucherContractRow, contract_id, for_update)


def list_contracts(session: Session, *, organisation_id: int | None = None, offset: int = 0,
                   limit: int = 100) -> Sequence[VoucherContractRow]:
    """Contracts where the organisation is buyer or provider (all of them when None)."""
    query = select(VoucherContractRow)
    if organisation_id is not None:
        query = query.where(or_(VoucherContractRow.buyer_organisation_id == organisation_id,
                                VoucherContractRow.provider_organisation_id == organisation_id))
    return session.scalars(query.order_by(VoucherContractRow.id).offset(offset).limit(limit)).all()


def contract_declared(session: Session, provider_id: int, buyer_id: int, number_key: str) -> VoucherContractRow | None:
    return session.scalar(select(VoucherContractRow).where(
        VoucherContractRow.provider_organisation_id == provider_id, VoucherContractRow.buyer_organisation_id == buyer_id,
        VoucherContractRow.number_key == number_key))


def contract_by_bill(session: Session, bill: str) -> VoucherContractRow | None:
    return session.scalar(select(VoucherContractRow).where(VoucherContractRow.bill == bill))


def documents_of(session: Session, *, application_id: int | None = None,
                 contract_id: int | None = None) -> Sequence[VoucherDocumentRow]:
    query = select(VoucherDocumentRow)
    if application_id is not None:
        query = query.where(VoucherDocumentRow.application_id == application_id)
    if contract_id is not None:
        query = query.where(VoucherDocumentRow.contract_id == contract_id)
    return session.scalars(query.order_by(VoucherDocumentRow.id)).all()


def all_documents(session: Session) -> Sequence[VoucherDocumentRow]:
    return session.scalars(select(VoucherDocumentRow).order_by(VoucherDocumentRow.id)).all()


def get_document(session: Session, document_id: int) -> VoucherDocumentRow | None:
    return session.get(VoucherDocumentRow, document_id)


def unbatched_payouts(session: Session, *, start: Any, end: Any) -> Sequence[VoucherRedemptionRow]:
    """Direct-to-claimant redemptions recorded in [start, end), not clawed back, that no disbursement batch
    has taken yet (locked: two batches never take one payout)."""
    query = select(VoucherRedemptionRow).where(
        VoucherRedemptionRow.payee_account_id.is_not(None), VoucherRedemptionRow.batch_id.is_(None),
        VoucherRedemptionRow.status == "redeemed",
        VoucherRedemptionRow.created_at >= start, VoucherRedemptionRow.created_at < end)
    return session.scalars(query.order_by(VoucherRedemptionRow.id).with_for_update()).all()


def payouts_of_batch(session: Session, batch_id: int) -> Sequence[VoucherRedemptionRow]:
    query = select(VoucherRedemptionRow).where(VoucherRedemptionRow.batch_id == batch_id)
    return session.scalars(query.order_by(VoucherRedemptionRow.id)).all()
