"""The one query of what each basis (a product, contract, expense or usage) was paid by, across the
voucher program kinds and the awards, and the lock that makes a check-then-write on one basis safe when a
voucher claim and an award decision race: both paths take `lock_basis` before they read.

On PostgreSQL that is a transaction-scoped advisory lock on the basis' hash (released at commit or
rollback, after which the other transaction's read sees the committed row); SQLite has one writer at a
time, so it needs none. Within a kind the database itself refuses a second row per basis (voucher
redemptions' claim key, `award_benefits.basis`)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from suanli.db.models.awards import AwardApplicationRow, AwardBenefitRow, AwardItemRow


def lock_basis(session: Session, basis: str) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"benefit:{basis}".encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def awards_on(session: Session, basis: str) -> list[tuple[str, str, str, int]]:
    """(item code, title zh, title en, organisation id) of every award that paid `basis`."""
    query = (select(AwardItemRow.code, AwardItemRow.title_zh, AwardItemRow.title_en, AwardApplicationRow.organisation_id)
             .select_from(AwardBenefitRow)
             .join(AwardApplicationRow, AwardApplicationRow.id == AwardBenefitRow.application_id)
             .join(AwardItemRow, AwardItemRow.id == AwardApplicationRow.item_id)
             .where(AwardBenefitRow.basis == basis))
    return [(c, zh, en, o) for c, zh, en, o in session.execute(query).all()]
