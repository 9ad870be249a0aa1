"""Queries for the data exchange tables (all of the exchange's SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.db.models.exchange import (
    ExchangeApiKeyRow,
    ExchangeBlobRow,
    ExchangeCertificateRow,
    ExchangeComputeRunRow,
    ExchangeMembershipRow,
    ExchangeObjectionRow,
    ExchangeOrderRow,
    ExchangeProductRow,
    ExchangeReviewStepRow,
    ExchangeVersionRow,
)
from suanli.db.models.organisations import OrganisationRow

Row = TypeVar("Row")


def add(session: Session, row: Row) -> Row:
    session.add(row)
    session.flush()
    return row


def organisation(session: Session, organisation_id: int) -> OrganisationRow | None:
    return session.get(OrganisationRow, organisation_id)


def organisation_names(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str, str | None]]:
    """(handle, Chinese name, English name) by organisation id."""
    rows = session.execute(select(OrganisationRow.id, OrganisationRow.name, OrganisationRow.name_zh, OrganisationRow.name_en)
                           .where(OrganisationRow.id.in_(sorted(set(ids))))).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


# --- memberships -------------------------------------------------------------------------------------------


def membership(session: Session, organisation_id: int, role: str) -> ExchangeMembershipRow | None:
    return session.scalar(select(ExchangeMembershipRow).where(ExchangeMembershipRow.organisation_id == organisation_id,
                                                              ExchangeMembershipRow.role == role))


def get_membership(session: Session, membership_id: int) -> ExchangeMembershipRow | None:
    return session.get(ExchangeMembershipRow, membership_id)


def list_memberships(session: Session, *, organisation_id: int | None = None, status: str | None = None,
                     role: str | None = None) -> Sequence[ExchangeMembershipRow]:
    query = select(ExchangeMembershipRow).order_by(ExchangeMembershipRow.id)
    if organisation_id is not None:
        query = query.where(ExchangeMembershipRow.organisation_id == organisation_id)
    if status is not None:
        query = query.where(ExchangeMembershipRow.status == status)
    if role is not None:
        query = query.where(ExchangeMembershipRow.role == role)
    return session.scalars(query).all()


# --- products, versions, blobs ---------------------------------------------------------------------------


def get_product(session: Session, product_id: int) -> ExchangeProductRow | None:
    return session.get(ExchangeProductRow, product_id)


def search_products(session: Session, *, pattern: str | None, filters: dict[str, str], registered_only: bool,
                    supplier_id: int | None, offset: int, limit: int) -> Sequence[ExchangeProductRow]:
    query = select(ExchangeProductRow).order_by(ExchangeProductRow.id.desc()).offset(offset).limit(limit)
    if pattern is not None:
        query = query.where(ExchangeProductRow.search_text.like(pattern, escape="\\"))
    for name, value in filters.items():
        query = query.where(getattr(ExchangeProductRow, name) == value)
    if registered_only:
        query = query.where(ExchangeProductRow.registered.is_(True))
    if supplier_id is not None:
        query = query.where(ExchangeProductRow.supplier_organisation_id == supplier_id)
    return session.scalars(query).all()


def sectors(session: Session) -> list[str]:
    return list(session.scalars(select(ExchangeProductRow.sector).where(ExchangeProductRow.registered.is_(True))
                                .distinct().order_by(ExchangeProductRow.sector)))


def blob(session: Session, sha256: str) -> ExchangeBlobRow | None:
    return session.scalar(select(ExchangeBlobRow).where(ExchangeBlobRow.sha256 == sha256))


def get_version(session: Session, version_id: int, *, for_update: bool = False) -> ExchangeVersionRow | None:
    query = select(ExchangeVersionRow).where(ExchangeVersionRow.id == version_id)
    return session.scalar(query.with_for_update() if for_update else query)


def versions_of(session: Session, product_id: int) -> Sequence[ExchangeVersionRow]:
    return session.scalars(select(ExchangeVersionRow).where(ExchangeVersionRow.product_id == product_id)
                           .order_by(ExchangeVersionRow.id)).all()


def version_by_label(session: Session, product_id: int, label: str) -> ExchangeVersionRow | None:
    return session.scalar(select(ExchangeVersionRow).where(ExchangeVersionRow.product_id == product_id,
                                                           ExchangeVersionRow.label == label))


def versions_with_status(session: Session, status: str, *, assessor_id: int | None = None
                         ) -> Sequence[ExchangeVersionRow]:
    query = select(ExchangeVersionRow).where(ExchangeVersionRow.status == status).order_by(ExchangeVersionRow.id)
    if assessor_id is not None:
        query = query.where(ExchangeVersionRow.assessor_organisation_id == assessor_id)
    return session.scalars(query).all()


def steps_of(session: Session, version_id: int) -> Sequence[ExchangeReviewStepRow]:
    return session.scalars(select(ExchangeReviewStepRow).where(ExchangeReviewStepRow.version_id == version_id)
                           .order_by(ExchangeReviewStepRow.id)).all()


# --- objections, certificates ---------------------------------------------------------------------------


def objections_of(session: Session, version_id: int) -> Sequence[ExchangeObjectionRow]:
    return session.scalars(select(ExchangeObjectionRow).where(ExchangeObjectionRow.version_id == version_id)
                           .order_by(ExchangeObjectionRow.id)).all()


def open_objections(session: Session) -> Sequence[ExchangeObjectionRow]:
    return session.scalars(select(ExchangeObjectionRow).where(ExchangeObjectionRow.status == "open")
                           .order_by(ExchangeObjectionRow.id)).all()


def get_objection(session: Session, objection_id: int) -> ExchangeObjectionRow | None:
    return session.get(ExchangeObjectionRow, objection_id)


def certificate_of(session: Session, version_id: int) -> ExchangeCertificateRow | None:
    return session.scalar(select(ExchangeCertificateRow).where(ExchangeCertificateRow.version_id == version_id))


def certificate_by_number(session: Session, number: str) -> ExchangeCertificateRow | None:
    return session.scalar(select(ExchangeCertificateRow).where(ExchangeCertificateRow.number == number))


def latest_certificate(session: Session, product_id: int) -> ExchangeCertificateRow | None:
    return session.scalar(select(ExchangeCertificateRow).where(ExchangeCertificateRow.product_id == product_id)
                          .order_by(ExchangeCertificateRow.id.desc()).limit(1))


def list_certificates(session: Session, *, offset: int, limit: int) -> Sequence[ExchangeCertificateRow]:
    return session.scalars(select(ExchangeCertificateRow).order_by(ExchangeCertificateRow.id.desc())
                           .offset(offset).limit(limit)).all()


def count_certificates(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ExchangeCertificateRow)) or 0)


# --- orders and delivery ------------------------------------------------------------------------------------


def get_order(session: Session, order_id: int, *, for_update: bool = False) -> ExchangeOrderRow | None:
    query = select(ExchangeOrderRow).where(ExchangeOrderRow.id == order_id)
    return session.scalar(query.with_for_update() if for_update else query)


def list_orders(session: Session, *, buyer_id: int | None = None, supplier_id: int | None = None,
                offset: int = 0, limit: int = 100) -> Sequence[ExchangeOrderRow]:
    query = select(ExchangeOrderRow).order_by(ExchangeOrderRow.id.desc()).offset(offset).limit(limit)
    if buyer_id is not None:
        query = query.where(ExchangeOrderRow.buyer_organisation_id == buyer_id)
    if supplier_id is not None:
        query = query.join(ExchangeProductRow, ExchangeProductRow.id == ExchangeOrderRow.product_id).where(
            ExchangeProductRow.supplier_organisation_id == supplier_id)
    return session.scalars(query).all()


def api_key(session: Session, key_sha256: str) -> ExchangeApiKeyRow | None:
    return session.scalar(select(ExchangeApiKeyRow).where(ExchangeApiKeyRow.key_sha256 == key_sha256))


def runs_of(session: Session, order_id: int) -> Sequence[ExchangeComputeRunRow]:
    return session.scalars(select(ExchangeComputeRunRow).where(ExchangeComputeRunRow.order_id == order_id)
                           .order_by(ExchangeComputeRunRow.id)).all()


def statistics(session: Session) -> dict[str, Any]:
    products = dict(session.execute(select(ExchangeVersionRow.status, func.count()).group_by(
        ExchangeVersionRow.status)).all())
    by_mode = session.execute(select(ExchangeOrderRow.delivery_mode, func.count(), func.coalesce(
        func.sum(ExchangeOrderRow.total_fen), 0)).group_by(ExchangeOrderRow.delivery_mode)).all()
    totals = session.execute(select(func.count(), func.coalesce(func.sum(ExchangeOrderRow.total_fen), 0),
                                    func.coalesce(func.sum(ExchangeOrderRow.fee_fen), 0),
                                    func.coalesce(func.sum(ExchangeOrderRow.subsidy_fen), 0))).one()
    registered = session.scalar(select(func.count()).select_from(ExchangeProductRow)
                                .where(ExchangeProductRow.registered.is_(True)))
    return {"versions_by_status": {str(k): int(v) for k, v in products.items()},
            "registered_products": int(registered or 0),
            "trades": int(totals[0]), "turnover_fen": int(totals[1]), "fees_fen": int(totals[2]),
            "subsidy_fen": int(totals[3]),
            "by_delivery_mode": {str(m): {"trades": int(c), "turnover_fen": int(t)} for m, c, t in by_mode}}
