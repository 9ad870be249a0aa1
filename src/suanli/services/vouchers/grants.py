"""Grants (核定): an approved application becomes money in the organisation's voucher wallet, never
more than the caps and the program's remaining budget allow (the caller holds the program row lock)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

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
from suanli.domain.vouchers.funders import funder_split
from suanli.services import ledger
from suanli.services.vouchers.common import known_id, ledger_account, placed_event
from suanli.services.vouchers.programs import budget_left, program_of


def grant(session: Session, row: VoucherProgramRow, program: VoucherProgram, application: VoucherApplicationRow, *,
           amount_fen: int, actor: Principal, today: date, mode: CapMode) -> VoucherGrantRow:
    """Grant within caps and the remaining budget; the caller holds the program row lock."""
    if repo.grant_of(session, application.id) is not None:
        raise VoucherConflict(f"application {application.id} was already granted", rule="grant.once")
    decision = grant_amount(program, amount_fen=amount_fen, project_class=application.project_class,
                            organisation_granted_fen=repo.organisation_granted(session, row.id, application.organisation_id),
                            budget_left_fen=budget_left(row), mode=mode, requested_fen=int(application.requested_fen),
                            **grant_limits(session, row, program, application.organisation_id, today)).raise_if_refused()
    amount, expires = decision.amount_fen, grant_expiry(program, today)
    wallet = wallet_for(session, row, application, expires)
    result = ledger.transfer(session, idempotency_key=f"voucher:grant:{application.id}",
                             legs=[Leg(known_id(row.budget_account_id), amount), Leg(known_id(wallet.ledger_account_id), -amount)],
                             memo=f"grant under {row.code}", source_kind="voucher_grant", source_id=str(application.id))
    row.granted_fen = int(row.granted_fen) + amount
    wallet.granted_fen = int(wallet.granted_fen) + amount
    wallet.expires_on, wallet.status = max(wallet.expires_on, expires), "active"
    application.status = "granted"
    receipt = placed_event(session, "voucher.grant_approved", f"voucher_application:{application.id}",
                     {"program": row.code, "amount_fen": amount, "expires_on": expires.isoformat(),
                      "by": actor.user_id, "transfer": result.id}, application.organisation_id)
    granted = repo.add(session, VoucherGrantRow(
        application_id=application.id, program_id=row.id, organisation_id=application.organisation_id,
        wallet_id=wallet.id, amount_fen=amount, expires_on=expires, approved_by=actor.user_id,
        transfer_id=result.id, rules=decision.explain(), receipt=receipt,
        funder_split=funder_split(program, amount) or None))
    return granted


def grant_limits(session: Session, row: VoucherProgramRow, program: VoucherProgram, organisation_id: int,
                 today: date) -> dict[str, Any]:
    """The limits beyond this program's own counters: what the issuer's programs granted the
    organisation this calendar year (its row is locked, so two programs of one issuer serialise on it)
    and what each co-funder has granted so far."""
    limits: dict[str, Any] = {}
    if program.caps.per_organisation_issuer_year_fen is not None:
        repo.get_organisation(session, organisation_id, for_update=True)
        start, end = (datetime(y, 1, 1, tzinfo=UTC) for y in (today.year, today.year + 1))
        limits["issuer_year_granted_fen"] = sum(
            total for other, total in repo.organisation_grants_in_year(session, organisation_id, start, end)
            if program_of(other).issuer.zh == program.issuer.zh)
    if program.funders:
        granted: dict[str, int] = {}
        for split in repo.funder_splits(session, row.id):
            for funder, fen in split.items():
                granted[funder] = granted.get(funder, 0) + int(fen)
        # What expired or was clawed back went back to the combined budget; each funder gets its share.
        back = funder_split(program, int(row.returned_fen) + int(row.clawed_back_fen))
        limits["funder_granted"] = {f: max(fen - back.get(f, 0), 0) for f, fen in granted.items()}
    return limits


def wallet_for(session: Session, row: VoucherProgramRow, application: VoucherApplicationRow,
                expires: date) -> VoucherWalletRow:
    wallet = repo.wallet_of(session, row.id, application.organisation_id, for_update=True)
    if wallet is not None and wallet.side != application.side:
        raise VoucherConflict(f"this organisation's voucher under {row.code} is for the {wallet.side} side",
                              rule="wallet.side")
    if wallet is None:
        account = ledger_account(session, AccountPurpose.VOUCHER_WALLET, OwnerKind.ORGANISATION, application.organisation_id,
                           scope=f"program:{row.id}")
        wallet = repo.add(session, VoucherWalletRow(
            program_id=row.id, organisation_id=application.organisation_id, project_class=application.project_class,
            side=application.side, granted_fen=0, reserved_fen=0, redeemed_fen=0, returned_fen=0, expires_on=expires, status="active",
            ledger_account_id=account))
    return wallet
