"""Paying decided awards on the voucher engine's money path: no second payment engine.

- Loading an item with a `budget_fen` commits that budget on the item's budget account (a program
  budget, from platform equity), as a voucher program's budget is at load; the bureau pays it in
  (`fund_item`: cash <- equity), as for a voucher program (`fund_program`).
- A decided award moves each party's amount budget -> the party's claimant payable (scope `awards`) in
  one ledger transfer with the idempotency key `award:owe:<application>:<party>`; the budget account
  may never go below zero, so an award beyond the budget is refused before anything is written.
- The finance disbursement batch (`services.settlement.create_batch`) takes the month's owed payouts
  with the providers' statements and the direct-to-claimant voucher payouts; paying the batch moves
  payable -> cash (`batch:<id>:award:<payout>`), the same four-eyes approval first.
- The 公示 list of an item is built from its payouts in the voucher disclosure's format; publishing it
  records its hash in the transparency log.
Every step appends an audit event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.db.models.awards import AwardApplicationRow, AwardDisclosureRow, AwardItemRow, AwardPayoutRow
from suanli.db.models.base import utcnow
from suanli.db.models.organisations import OrganisationRow
from suanli.domain.awards import AwardItem, AwardRuleViolation, parse_award_file
from suanli.domain.errors import Conflict, Forbidden, NotFound
from suanli.domain.ledger import AccountPurpose, OwnerKind
from suanli.domain.ledger.transfers import Leg
from suanli.domain.money import format_yuan
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers import disclosure as disclosure_format
from suanli.services import ledger
from suanli.services.audit import record_event

FUNDERS = (Role.PROGRAM_OFFICER, Role.FINANCE_OFFICER, Role.PLATFORM_OPERATOR)
PUBLISHERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)


def _account(session: Session, purpose: AccountPurpose, kind: OwnerKind, owner: int | None, scope: str = "") -> int:
    return ledger.open_account(session, purpose=purpose, owner_kind=kind, owner_id=owner, scope=scope).id


def budget_account(session: Session, item_id: int) -> int:
    """The item's budget: a program budget account (never below zero), scoped apart from voucher programs."""
    return _account(session, AccountPurpose.PROGRAM_BUDGET, OwnerKind.PROGRAM, None, f"award-item:{item_id}")


def payee_account(session: Session, organisation_id: int) -> int:
    return _account(session, AccountPurpose.CLAIMANT_PAYABLE, OwnerKind.ORGANISATION, organisation_id, "awards")


def budget_left(session: Session, item_id: int) -> int:
    row = ledger.get_account(session, account_id=budget_account(session, item_id))
    session.refresh(row)  # the ledger updates balances in SQL
    return int(ledger.natural_balance(row))


def commit_budget(session: Session, row: AwardItemRow, item: AwardItem, previous: AwardItem | None) -> None:
    """At load: the file's budget on the item's budget account (from platform equity). A reloaded file
    may raise the budget (the difference is committed), never lower it below what was committed."""
    before = previous.budget_fen or 0 if previous is not None else 0
    after = item.budget_fen or 0
    if after < before:
        raise Conflict(f"{item.code}: the budget cannot be lowered from {format_yuan(before)} to {format_yuan(after)}"
                       f" / 预算不得从 {format_yuan(before)} 调低至 {format_yuan(after)}", rule=f"{item.code}.budget")
    if after == before:
        return
    budget = budget_account(session, row.id)
    equity = _account(session, AccountPurpose.EQUITY, OwnerKind.PLATFORM, None)
    result = ledger.transfer(session, idempotency_key=f"award:budget:{row.id}:{after}",
                             legs=[Leg(equity, after - before), Leg(budget, -(after - before))],
                             memo=f"budget of award item {item.code}", source_kind="award_budget", source_id=str(row.id))
    record_event(session, kind="award.budget_committed", subject=f"award-item/{item.code}",
                 payload={"budget_fen": after, "added_fen": after - before, "transfer": result.id})


def fund_item(session: Session, *, actor: Principal, item_code: str, amount_fen: int, idempotency_key: str) -> int:
    """The bureau pays (part of) the item's budget into the platform's bank account (拨付预算): cash <-
    equity, so the finance batch can pay the awards out of cash. A replayed key changes nothing."""
    if actor.role not in FUNDERS:
        raise Forbidden("award budgets are paid in by the bureau's officers or finance")
    row = item_row(session, item_code)
    cash = _account(session, AccountPurpose.CASH, OwnerKind.PLATFORM, None)
    equity = _account(session, AccountPurpose.EQUITY, OwnerKind.PLATFORM, None)
    result = ledger.transfer(session, idempotency_key=idempotency_key, legs=[Leg(cash, amount_fen), Leg(equity, -amount_fen)],
                             memo=f"budget of award item {row.code} paid in", source_kind="award_budget",
                             source_id=str(row.id))
    if not result.replayed:
        record_event(session, kind="award.item_funded", subject=f"award-item/{row.code}",
                     payload={"amount_fen": amount_fen, "transfer": result.id, "by": actor.username})
    return result.id


def item_row(session: Session, code: str) -> AwardItemRow:
    row = session.scalar(select(AwardItemRow).where(AwardItemRow.code == code))
    if row is None:
        raise NotFound(f"award item {code} not found / 未找到奖励事项 {code}")
    return row


def owe(session: Session, application: AwardApplicationRow, item: AwardItem,
        amounts: Mapping[str, tuple[int, int]]) -> list[AwardPayoutRow]:
    """The decided amounts (party -> (organisation id, fen)) leave the item's budget for each party's
    claimant payable; refused (nothing written) when the budget left does not cover them."""
    total = sum(fen for _org, fen in amounts.values())
    left = budget_left(session, application.item_id)
    if total > left:
        raise AwardRuleViolation(f"{item.title_en}: the budget left ({format_yuan(left)}) does not cover "
                                 f"{format_yuan(total)} / {item.title_zh}剩余预算 {format_yuan(left)} 不足以支付 "
                                 f"{format_yuan(total)}", rule=f"{item.code}.budget")
    budget = budget_account(session, application.item_id)
    payouts = []
    for party, (organisation_id, fen) in amounts.items():
        if fen <= 0:
            continue
        payee = payee_account(session, organisation_id)
        result = ledger.transfer(session, idempotency_key=f"award:owe:{application.id}:{party}",
                                 legs=[Leg(budget, fen), Leg(payee, -fen)],
                                 memo=f"award {item.code} to the {party}, owed until its batch is paid",
                                 source_kind="award", source_id=str(application.id))
        payout = AwardPayoutRow(application_id=application.id, party=party, organisation_id=organisation_id,
                                amount_fen=fen, payee_account_id=payee, transfer_id=result.id, status="owed")
        session.add(payout)
        session.flush()
        record_event(session, kind="award.payout_owed", subject=f"award-payout/{payout.id}",
                     payload={"application": application.id, "item": item.code, "party": party, "amount_fen": fen,
                              "transfer": result.id}, organisation_id=organisation_id)
        payouts.append(payout)
    return payouts


# --- the finance batch (called by services.settlement) ---------------------------------------------------------


def unbatched_payouts(session: Session, *, start: datetime, end: datetime) -> Sequence[AwardPayoutRow]:
    """Owed payouts decided in [start, end) that no batch has taken (locked: two batches never take one)."""
    query = select(AwardPayoutRow).where(AwardPayoutRow.batch_id.is_(None), AwardPayoutRow.status == "owed",
                                         AwardPayoutRow.created_at >= start, AwardPayoutRow.created_at < end)
    return session.scalars(query.order_by(AwardPayoutRow.id).with_for_update()).all()


def pay_batch_payouts(session: Session, *, batch_id: int, cash_account: int) -> list[int]:
    """Pay each award payout of the batch: the party's payable -> the platform's bank account."""
    paid = []
    for payout in session.scalars(select(AwardPayoutRow).where(AwardPayoutRow.batch_id == batch_id)
                                  .order_by(AwardPayoutRow.id)):
        fen = int(payout.amount_fen)
        result = ledger.transfer(session, idempotency_key=f"batch:{batch_id}:award:{payout.id}", source_kind="batch",
                                 source_id=str(batch_id), memo=f"award payout {payout.id} paid to the {payout.party}",
                                 legs=[Leg(payout.payee_account_id, fen), Leg(cash_account, -fen)])
        payout.status, payout.paid_at = "paid", utcnow()
        session.flush()
        record_event(session, kind="award.paid", subject=f"award-payout/{payout.id}",
                     payload={"batch": batch_id, "amount_fen": fen, "transfer": result.id},
                     organisation_id=payout.organisation_id)
        paid.append(payout.id)
    return paid


def payouts_of(session: Session, application_id: int) -> Sequence[AwardPayoutRow]:
    return session.scalars(select(AwardPayoutRow).where(AwardPayoutRow.application_id == application_id)
                           .order_by(AwardPayoutRow.id)).all()


# --- 公示 ---------------------------------------------------------------------------------------------------------


def disclosure(session: Session, *, item_code: str, actor: Principal | None = None,
               publish: bool = False) -> list[dict[str, Any]]:
    """The item's disclosure list (公示), one row per party paid or owed, in the voucher disclosure's
    columns; when published (program officers), its hash is stored and audited."""
    if publish and (actor is None or actor.role not in PUBLISHERS):
        raise Forbidden("only a program officer publishes a disclosure list")
    row = item_row(session, item_code)
    item = parse_award_file(row.text)
    query = (select(AwardPayoutRow, AwardApplicationRow, OrganisationRow)
             .join(AwardApplicationRow, AwardApplicationRow.id == AwardPayoutRow.application_id)
             .join(OrganisationRow, OrganisationRow.id == AwardPayoutRow.organisation_id)
             .where(AwardApplicationRow.item_id == row.id).order_by(AwardPayoutRow.id))
    rows = [disclosure_format.disclosure_row(
        program=item.code, organisation=org.name, organisation_zh=org.name_zh,
        project=f"{item.title_zh}（{party_name(payout.party)[0]}）" if len(item.parties) > 1 else item.title_zh,
        amount_fen=int(payout.amount_fen), granted_on=app.created_at.date().isoformat(), expires_on="")
        for payout, app, org in session.execute(query).all()]
    if publish and actor is not None:
        digest = disclosure_format.rows_hash(rows)
        record_event(session, kind="award.disclosure_published", subject=f"award-item/{item.code}",
                     payload={"rows": len(rows), "sha256": digest, "by": actor.username})
        session.add(AwardDisclosureRow(item_id=row.id, published_by=actor.username, rows=rows, rows_hash=digest))
        session.flush()
    return rows


PARTY_NAMES = {"applicant": ("申请单位", "applicant"), "developer": ("开发方", "developer"),
               "first_user": ("首购用户", "first user")}


def party_name(party: str) -> tuple[str, str]:
    return PARTY_NAMES.get(party, (party, party))
