"""Grants (核定): an approved application becomes money in the organisation's voucher wallet, never
more than the caps and the program's remaining budget allow (the caller holds the program row lock)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from suanli.db.models.vouchers import (
    VoucherApplicationRow,
    VoucherGrantRow,
    VoucherProgramRow,
    VoucherWalletRow,
)
from suanli.db.repositories import vouchers as repo
from suanli.domain.ledger import AccountPurpose, Leg, OwnerKind
from suanli.domain.organisations import Principal
from suanli.domain.vouchers import CapMode, VoucherConflict, VoucherProgram, grant_amount, grant_expiry
from suanli.services import ledger
from suanli.services.vouchers.common import audit_event, known_id, ledger_account
from suanli.services.vouchers.programs import budget_left


def grant(session: Session, row: VoucherProgramRow, program: VoucherProgram, application: VoucherApplicationRow, *,
           amount_fen: int, actor: Principal, today: date, mode: CapMode) -> VoucherGrantRow:
    """Grant within caps and the remaining budget; the caller holds the program row lock."""
    if repo.grant_of(session, application.id) is not None:
        raise VoucherConflict(f"application {application.id} was already granted", rule="grant.once")
    decision = grant_amount(program, amount_fen=amount_fen, project_class=application.project_class,
                            organisation_granted_fen=repo.organisation_granted(session, row.id, application.organisation_id),
                            budget_left_fen=budget_left(row), mode=mode,
                            requested_fen=int(application.requested_fen)).raise_if_refused()
    amount, expires = decision.amount_fen, grant_expiry(program, today)
    wallet = wallet_for(session, row, application, expires)
    result = ledger.transfer(session, idempotency_key=f"voucher:grant:{application.id}",
                             legs=[Leg(known_id(row.budget_account_id), amount), Leg(known_id(wallet.ledger_account_id), -amount)],
                             memo=f"grant under {row.code}", source_kind="voucher_grant", source_id=str(application.id))
    row.granted_fen = int(row.granted_fen) + amount
    wallet.granted_fen = int(wallet.granted_fen) + amount
    wallet.expires_on, wallet.status = max(wallet.expires_on, expires), "active"
    application.status = "granted"
    receipt = audit_event(session, "voucher.grant_approved", f"voucher_application:{application.id}",
                     {"program": row.code, "amount_fen": amount, "expires_on": expires.isoformat(),
                      "by": actor.user_id, "transfer": result.id}, application.organisation_id)
    granted = repo.add(session, VoucherGrantRow(
        application_id=application.id, program_id=row.id, organisation_id=application.organisation_id,
        wallet_id=wallet.id, amount_fen=amount, expires_on=expires, approved_by=actor.user_id,
        transfer_id=result.id, rules=decision.explain(), receipt=receipt))
    return granted


def wallet_for(session: Session, row: VoucherProgramRow, application: VoucherApplicationRow,
                expires: date) -> VoucherWalletRow:
    wallet = repo.wallet_of(session, row.id, application.organisation_id, for_update=True)
    if wallet is None:
        account = ledger_account(session, AccountPurpose.VOUCHER_WALLET, OwnerKind.ORGANISATION, application.organisation_id,
                           scope=f"program:{row.id}")
        wallet = repo.add(session, VoucherWalletRow(
            program_id=row.id, organisation_id=application.organisation_id, project_class=application.project_class,
            granted_fen=0, reserved_fen=0, redeemed_fen=0, returned_fen=0, expires_on=expires, status="active",
            ledger_account_id=account))
    return wallet
