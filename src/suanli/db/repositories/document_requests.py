"""Queries for reviewers' requests for more documents (需补充材料) on voucher applications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.db.models.vouchers import VoucherDocumentRequestRow, VoucherDocumentRow


def requests_of(session: Session, application_id: int) -> Sequence[VoucherDocumentRequestRow]:
    query = select(VoucherDocumentRequestRow).where(VoucherDocumentRequestRow.application_id == application_id)
    return session.scalars(query.order_by(VoucherDocumentRequestRow.id)).all()


def open_request(session: Session, application_id: int, *, for_update: bool = False) -> VoucherDocumentRequestRow | None:
    query = select(VoucherDocumentRequestRow).where(VoucherDocumentRequestRow.application_id == application_id,
                                                    VoucherDocumentRequestRow.answered_at.is_(None))
    return session.scalar(query.with_for_update() if for_update else query)


def kinds_uploaded_since(session: Session, application_id: int, since: datetime) -> set[str]:
    """Document types uploaded to the application at or after `since` (the request's time)."""
    query = select(VoucherDocumentRow.kind).where(VoucherDocumentRow.application_id == application_id,
                                                  VoucherDocumentRow.created_at >= since)
    return set(session.scalars(query).all())
