"""The voucher engine as the rest of the platform sees it: the `ports.VoucherEngine` that billing and
quotes call, over this package's public functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from suanli.domain.money import Fen
from suanli.domain.subsidy import SubsidyPolicy
from suanli.services.ports import VoucherShare
from suanli.services.vouchers import billing_seam, subsidy, wallets

if TYPE_CHECKING:
    from suanli.db.models.jobs import UsageRecordRow


class VoucherEngineAdapter:
    def subsidy_policy(self, session: Session, *, organisation_ids: Sequence[int]) -> SubsidyPolicy:
        return subsidy.subsidy_policy(session, organisation_ids=organisation_ids)

    def voucher_share(self, session: Session, *, usage: UsageRecordRow, charge_fen: Fen) -> VoucherShare | None:
        share: VoucherShare | None = billing_seam.voucher_share(session, usage=usage, charge_fen=charge_fen)
        return share

    def hold_for_job(self, session: Session, *, job_id: int, organisation_id: int, center: str,
                     payable_account_id: int, estimate_fen: Fen, idempotency_key: str) -> Fen:
        return wallets.hold_for_job(session, job_id=job_id, organisation_id=organisation_id, center=center,
                                    payable_account_id=payable_account_id, estimate_fen=estimate_fen,
                                    idempotency_key=idempotency_key)

    def release_job_hold(self, session: Session, *, job_id: int, reason: str) -> Fen:
        return wallets.release_job_hold(session, job_id=job_id, reason=reason)


VOUCHER_ENGINE = VoucherEngineAdapter()
