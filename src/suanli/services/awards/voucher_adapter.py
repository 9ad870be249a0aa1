"""The one place the awards touch the voucher engine's records: the bases (product, contract, expense)
voucher redemptions already paid, so no award pays them again. Read-only; a shared engine would expose
this as a public query (see docs/ai-policies.md)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.db.models.vouchers import VoucherProgramRow, VoucherRedemptionRow
from suanli.domain.awards import PriorAward


def voucher_benefits(session: Session, *, organisation: str, organisation_id: int, basis: str) -> list[PriorAward]:
    rows = session.execute(select(VoucherProgramRow.code, VoucherRedemptionRow.amount_fen, VoucherRedemptionRow.created_at)
                           .join(VoucherProgramRow, VoucherProgramRow.id == VoucherRedemptionRow.program_id)
                           .where(VoucherRedemptionRow.basis == basis,
                                  VoucherRedemptionRow.status != "clawed_back")).all()
    return [PriorAward(f"voucher:{code}", "vouchers", organisation, at.year, amount, basis) for code, amount, at in rows]
