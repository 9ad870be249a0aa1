"""Redemption (兑付/核销): the voucher pays its share of metered usage or of a paid contract, once per
usage record or contract (a replay is a 409), from the job's hold first; a clawback (追回) reverses an
improper redemption and the money returns to the program budget.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.vouchers import (
    VoucherClawbackRow,
    VoucherContractRow,
    VoucherProgramRow,
    VoucherRedemptionRow,
    VoucherReservationRow,
    VoucherWalletRow,
)
from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import InvalidInput
from suanli.domain.ledger import AccountPurpose, Leg, OwnerKind
from suanli.domain.ledger.idempotency import check_key, check_replay, request_hash
from suanli.domain.organisations import Principal
from suanli.domain.vouchers import (
    Decision,
    ItemKind,
    Order,
    Settlement,
    Side,
    VoucherConflict,
    VoucherRuleViolation,
    claim_key,
    clawback_amount,
    redemption_amount,
)
from suanli.domain.vouchers.bounds import check_text
from suanli.domain.vouchers.errors import VoucherNotFound
from suanli.domain.vouchers.program import Evidence
from suanli.domain.vouchers.ratios import OrderLine
from suanli.services import ledger
from suanli.services.vouchers.common import facts_of, known_id, ledger_account, placed_event
from suanli.services.vouchers.contracts import contract_facts, readable_contract
from suanli.services.vouchers.programs import program_of, program_row
from suanli.services.vouchers.wallets import best_wallet, prior_claims_on, wallet_state


@dataclass(frozen=True, slots=True)
class UsageRedemption:
    """One usage record's redemption as recorded: the row, its wallet and program, and how much of it
    comes out of the job's admission hold (the rest straight from the wallet)."""

    redemption: VoucherRedemptionRow
    wallet: VoucherWalletRow
    program: VoucherProgramRow
    decision: Decision
    reservation: VoucherReservationRow | None
    from_hold_fen: int


def record_usage_redemption(session: Session, *, usage_record_id: int, charge_fen: int,
                            today: date | None = None) -> UsageRedemption | None:
    """The one redemption algorithm for metered usage (兑付): choose the wallet (the one holding the
    job's admission hold while it still pays, else the wallet that pays most), decide the voucher's
    share, and record the redemption (unique per usage record: the bill) and the wallet's counters.
    Moves no money: the caller posts it (billing: wallet -> provider payable; the stand-alone path:
    wallet -> receivable). None when the usage is already claimed or no voucher applies."""
    today = today or utcnow().date()
    found = repo.usage_with_center(session, usage_record_id)
    if found is None:
        raise VoucherNotFound(f"usage record {usage_record_id} does not exist")
    usage, center, job = found
    order = Order(ItemKind.COMPUTE, charge_fen, center, usage_bill(usage_record_id),
                  ecosystem=repo.pool_ecosystem(session, usage.pool_id))
    if charge_fen <= 0 or repo.redemption_by_claim(session, claim_key(order)) is not None:
        return None  # nothing to pay, or already subsidised: never twice
    reservation = repo.reservation_of_job(session, job.id, for_update=True)
    chosen = _held_wallet(session, reservation, usage.organisation_id, order, today)
    if chosen is None:
        reservation, best = None, best_wallet(session, usage.organisation_id, order, today)
        if best is None:
            return None
        wallet = repo.get_wallet(session, best[0].id, for_update=True)
        assert wallet is not None
        chosen = wallet, decide_redemption(session, wallet, order, today, held_fen=0)
    wallet, decision = chosen
    if not decision.allowed or decision.amount_fen <= 0:
        return None
    from_hold = min(decision.amount_fen, int(reservation.amount_fen)) if reservation is not None else 0
    row = record_redemption(session, wallet, order, decision, from_hold_fen=from_hold, usage_record_id=usage.id)
    if reservation is not None:
        reservation.amount_fen = int(reservation.amount_fen) - from_hold
    return UsageRedemption(row, wallet, program_row(session, wallet.program_id), decision, reservation, from_hold)


def usage_bill(usage_record_id: int) -> str:
    """The bill a metered usage is: one claim per usage record, whatever the program or side."""
    return f"usage:{usage_record_id}"


def _held_wallet(session: Session, reservation: VoucherReservationRow | None, organisation_id: int, order: Order,
                 today: date) -> tuple[VoucherWalletRow, Decision] | None:
    """The wallet that holds this job's voucher share and its decision, when that wallet still pays."""
    if reservation is None or reservation.status != "open" or reservation.hold_transfer_id is None:
        return None
    wallet = repo.get_wallet(session, reservation.wallet_id, for_update=True)
    if wallet is None or wallet.organisation_id != organisation_id:
        return None
    decision = decide_redemption(session, wallet, order, today, held_fen=int(reservation.amount_fen))
    return (wallet, decision) if decision.allowed and decision.amount_fen > 0 else None


def decide_redemption(session: Session, wallet: VoucherWalletRow, order: Order, today: date, *,
                      held_fen: int) -> Decision:
    """The domain's answer for this wallet and order (its program's rules, prior claims on the bill)."""
    row = program_row(session, wallet.program_id)
    org = repo.get_organisation(session, wallet.organisation_id)
    assert org is not None
    return redemption_amount(program_of(row), order, buyer=facts_of(org), wallet=wallet_state(wallet), today=today,
                             prior=prior_claims_on(session, order.basis), project_class=wallet.project_class,
                             reserved_for_order_fen=held_fen)


def record_redemption(session: Session, wallet: VoucherWalletRow, order: Order, decision: Decision, *,
                      from_hold_fen: int, usage_record_id: int | None = None, transfer_id: int | None = None,
                      keyed: tuple[str, str] | None = None) -> VoucherRedemptionRow:
    """Record a decided redemption: the wallet's counters, the audit event and the row whose unique
    claim key (the bill) makes a second claim on the same bill fail in the database, whoever races."""
    row = program_row(session, wallet.program_id)
    amount = decision.amount_fen
    wallet.reserved_fen = int(wallet.reserved_fen) - from_hold_fen
    wallet.redeemed_fen = int(wallet.redeemed_fen) + amount
    receipt = placed_event(session, "voucher.redeemed", order.basis,
                          {"program": row.code, "amount_fen": amount, "order_fen": order.amount_fen,
                           "from_hold_fen": from_hold_fen, "provider": order.provider, "side": order.side.value},
                          wallet.organisation_id)
    try:
        with session.begin_nested():
            return repo.add(session, VoucherRedemptionRow(
                program_id=row.id, wallet_id=wallet.id, organisation_id=wallet.organisation_id,
                usage_record_id=usage_record_id, claim_key=claim_key(order), basis=order.basis,
                side=order.side.value, kind=order.kind.value, provider=order.provider,
                order_amount_fen=order.amount_fen, amount_fen=amount, status="redeemed", transfer_id=transfer_id,
                rules=decision.explain(), receipt=receipt, idempotency_key=keyed[0] if keyed else None,
                request_hash=keyed[1] if keyed else None))
    except IntegrityError:
        raise VoucherConflict(f"{order.basis} was already redeemed", rule="order.double-claim") from None


def redeem_usage(session: Session, *, usage_record_id: int, today: date | None = None) -> VoucherRedemptionRow | None:
    """The stand-alone path (no billing installed): redeem one usage record and move the voucher's
    share wallet -> the organisation's receivable, out of the job's hold first. A usage record is
    redeemed at most once (a replay is a 409); None when no voucher applies."""
    found = repo.usage_with_center(session, usage_record_id)
    if found is None:
        raise VoucherNotFound(f"usage record {usage_record_id} does not exist")
    if repo.redemption_by_claim(session, claim_key(Order(ItemKind.COMPUTE, 0, "", usage_bill(usage_record_id)))):
        raise VoucherConflict(f"usage record {usage_record_id} was already redeemed", rule="order.double-claim")
    done = record_usage_redemption(session, usage_record_id=usage_record_id, charge_fen=int(found[0].charge_fen),
                                   today=today)
    if done is None:
        return None
    done.redemption.transfer_id = _pay_to_receivable(session, done.wallet, done.redemption, done.reservation,
                                                     done.from_hold_fen)
    session.flush()
    return done.redemption


def _pay_to_receivable(session: Session, wallet: VoucherWalletRow, redemption: VoucherRedemptionRow,
                       reservation: VoucherReservationRow | None, from_hold: int) -> int | None:
    """Move a recorded redemption's money: out of the admission hold first, the rest directly."""
    amount, transfer_id = int(redemption.amount_fen), None
    key = f"voucher:redeem:{redemption.claim_key}"
    if from_hold and reservation is not None:
        transfer_id = ledger.post(session, idempotency_key=key + ":hold", pending_id=known_id(reservation.hold_transfer_id),
                                  amount_fen=from_hold, final=False, source_kind="voucher_redemption",
                                  source_id=redemption.basis).id
    if amount > from_hold:
        receivable = ledger_account(session, AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION,
                                    wallet.organisation_id)
        transfer_id = ledger.transfer(session, idempotency_key=key, legs=[
            Leg(known_id(wallet.ledger_account_id), amount - from_hold), Leg(receivable, -(amount - from_hold))],
            memo=f"voucher share of {redemption.basis}", source_kind="voucher_redemption",
            source_id=redemption.basis).id
    return transfer_id


@dataclass(frozen=True, slots=True)
class ContractClaim:
    """A claim on a confirmed contract record (Yangzhou's reimbursement, Qingyang's supply side). The
    amount, items, provider, payment and "through platform" come from the record both parties attested;
    the side and project class from the claimant's grant. Nothing is taken from the claimant's word."""

    program_id: int
    contract_id: int


@dataclass(frozen=True, slots=True)
class Claimed:
    """A contract claim's answer: the redemption, and whether it is a replay of an earlier request."""

    redemption: VoucherRedemptionRow
    replayed: bool = False


def claim_hash(claim: ContractClaim, organisation_id: int | None) -> str:
    """The canonical hash an Idempotency-Key is bound to: every field of the claim and the claimant."""
    return request_hash({**asdict(claim), "organisation_id": organisation_id})


def claim_contract(session: Session, *, claim: ContractClaim, actor: Principal, idempotency_key: str,
                   today: date | None = None) -> Claimed:
    """A contract claim under the client's Idempotency-Key (per organisation): a new key redeems, the same
    key with the same claim answers the original redemption, with another claim it is a 409."""
    check_key(idempotency_key)
    return _redeem_contract(session, claim, actor, today, (idempotency_key, claim_hash(claim, actor.organisation_id)))


def redeem_contract(session: Session, *, claim: ContractClaim, actor: Principal,
                    today: date | None = None) -> VoucherRedemptionRow:
    return _redeem_contract(session, claim, actor, today, None).redemption


def contract_order(session: Session, contract: VoucherContractRow, side: Side) -> Order:
    """The order a confirmed contract is, read from the record (the provider as its first center name,
    for the designated-provider rule)."""
    facts = contract_facts(contract)
    centers = repo.centers_of_provider(session, contract.provider_organisation_id)
    designated = next((i.center for i in facts.items if i.center), None) or (centers[0] if centers else "")
    kinds = {i.kind for i in facts.items} or {ItemKind.COMPUTE}
    kind = next(iter(kinds)) if len(kinds) == 1 else ItemKind.COMPUTE
    return Order(kind, facts.amount_fen, designated, contract.bill or f"contract-draft:{contract.id}", side,
                 facts.through_platform, facts.confirmed, facts.paid,
                 items=tuple(OrderLine(i.kind, i.amount_fen, i.ecosystem, i.domestic, i.center or designated)
                             for i in facts.items), signed_on=facts.signed_on,
                 term_months=facts.term_months,
                 documents=frozenset(Evidence(d.kind) for d in repo.documents_of(session, contract_id=contract.id)))


def _redeem_contract(session: Session, claim: ContractClaim, actor: Principal, today: date | None,
                     keyed: tuple[str, str] | None) -> Claimed:
    today = today or utcnow().date()
    if isinstance(claim.contract_id, bool) or not isinstance(claim.contract_id, int):
        raise InvalidInput("contract_id is the id of a contract record", field="contract_id")
    # The wallet lock comes first: it serialises claims of one organisation under one program, so a
    # concurrent retry of the same key waits here and then finds the redemption its twin committed.
    # Claims by different organisations on one bill are decided by the bill's unique key instead.
    wallet = repo.wallet_of(session, claim.program_id, actor.organisation_id, for_update=True)
    if keyed is not None and (prior := _replay(session, actor, keyed)) is not None:
        return prior
    contract = readable_contract(session, contract_id=claim.contract_id, actor=actor)
    if wallet is None:
        raise VoucherRuleViolation("no voucher granted under this program / 本项目下无已核定的算力券",
                                   rule="wallet.balance")
    side = Side(wallet.side)
    party = contract.buyer_organisation_id if side is Side.DEMAND else contract.provider_organisation_id
    if party != actor.organisation_id:  # the grant's side decides which party of the contract may claim
        raise VoucherRuleViolation(f"a {side.value}-side voucher claims only as the contract's "
                                   f"{'buyer' if side is Side.DEMAND else 'provider'} / 申领方须为合同的"
                                   f"{'买方' if side is Side.DEMAND else '供给方'}", rule="program.side")
    if contract.status != "confirmed" or contract.bill is None:
        raise VoucherRuleViolation("the provider has not confirmed this contract / 合同尚未经供给方确认",
                                   rule="contract.confirmed")
    order = contract_order(session, contract, side)
    if repo.redemption_by_claim(session, claim_key(order)) is not None:
        raise VoucherConflict(f"contract {contract.number} was already subsidised", rule="order.double-claim")
    decision = decide_redemption(session, wallet, order, today, held_fen=0).raise_if_refused()
    if decision.amount_fen <= 0:
        raise VoucherRuleViolation("nothing left to redeem / 无可兑付金额", rule="wallet.balance")
    try:
        result = record_redemption(session, wallet, order, decision, from_hold_fen=0, keyed=keyed)
    except VoucherConflict:
        if keyed is not None:  # lost a race for the key under another program: name the key, not the contract
            _replay(session, actor, keyed)
        raise
    program = program_of(program_row(session, wallet.program_id))
    if program.settlement is Settlement.RESERVE_FUND and side is Side.DEMAND:
        result.transfer_id = _pay_provider(session, wallet, result, contract.provider_organisation_id)
    elif program.settlement is Settlement.DIRECT_TO_CLAIMANT:  # finance pays the claimant in the next batch
        result.transfer_id = _owe_claimant(session, wallet, result)
    else:  # reimbursement: the share is credited against what the claimant owes the platform
        result.transfer_id = _pay_to_receivable(session, wallet, result, None, 0)
    session.flush()
    return Claimed(result)


def _pay_provider(session: Session, wallet: VoucherWalletRow, redemption: VoucherRedemptionRow,
                  provider_organisation_id: int) -> int:
    """备用金 settlement of a contract claim: the voucher's share goes to the contract's provider, paid at
    once out of the program's reserve fund there as far as it reaches; the rest stays payable to the
    provider until the finance batch (which tops the reserve back up)."""
    amount = int(redemption.amount_fen)
    payable = ledger_account(session, AccountPurpose.PROVIDER_PAYABLE, OwnerKind.ORGANISATION, provider_organisation_id)
    reserve = ledger.open_account(session, purpose=AccountPurpose.PROVIDER_RESERVE, owner_kind=OwnerKind.ORGANISATION,
                                  owner_id=provider_organisation_id, scope=f"program:{wallet.program_id}")
    drawn = max(min(amount, ledger.natural_balance(reserve)), 0)
    legs = [Leg(known_id(wallet.ledger_account_id), amount)]
    if amount > drawn:
        legs.append(Leg(payable, -(amount - drawn)))
    if drawn:
        legs.append(Leg(reserve.id, -drawn))
    return ledger.transfer(session, idempotency_key=f"voucher:redeem:{redemption.claim_key}", legs=legs,
                           memo=f"voucher share of {redemption.basis} to the provider", source_kind="voucher_redemption",
                           source_id=redemption.basis).id


def claimant_payable(session: Session, organisation_id: int) -> int:
    return ledger_account(session, AccountPurpose.CLAIMANT_PAYABLE, OwnerKind.ORGANISATION, organisation_id)


def _owe_claimant(session: Session, wallet: VoucherWalletRow, redemption: VoucherRedemptionRow) -> int:
    """direct_to_claimant: wallet -> the claimant's payable; the finance batch pays it out of cash."""
    payee = claimant_payable(session, wallet.organisation_id)
    redemption.payee_account_id = payee
    amount = int(redemption.amount_fen)
    return ledger.transfer(session, idempotency_key=f"voucher:redeem:{redemption.claim_key}", legs=[
        Leg(known_id(wallet.ledger_account_id), amount), Leg(payee, -amount)],
        memo=f"voucher share of {redemption.basis}, owed to the claimant", source_kind="voucher_redemption",
        source_id=redemption.basis).id


def _replay(session: Session, actor: Principal, keyed: tuple[str, str]) -> Claimed | None:
    key, digest = keyed
    prior = repo.redemption_by_key(session, actor.organisation_id, key)
    if prior is None:
        return None
    check_replay(key, prior.request_hash or "", digest)
    return Claimed(prior, replayed=True)


def clawback(session: Session, *, redemption_id: int, actor: Principal, reason: str) -> VoucherClawbackRow:
    """Reverse an improper redemption (追回): the organisation owes the amount again and it returns to
    the program budget; the usage or contract stays claimed, so it is never subsidised again."""
    check_text("reason", reason, 2000, required=True)
    redemption = repo.get_redemption(session, redemption_id, for_update=True)
    if redemption is None:
        raise VoucherNotFound(f"redemption {redemption_id} does not exist")
    decision = clawback_amount(redeemed_fen=int(redemption.amount_fen),
                               already_clawed_back=redemption.status == "clawed_back")
    if not decision.allowed:
        raise VoucherConflict(f"redemption {redemption_id} was already clawed back", rule="clawback.once")
    row = program_row(session, redemption.program_id, for_update=True)
    amount = decision.amount_fen
    if redemption.payee_account_id is not None and redemption.batch_id is None:
        owed = redemption.payee_account_id  # not yet in a batch: the claimant is simply not paid it
    else:
        owed = ledger_account(session, AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, redemption.organisation_id)
    result = ledger.transfer(session, idempotency_key=f"voucher:clawback:{redemption.id}",
                             legs=[Leg(owed, amount), Leg(known_id(row.budget_account_id), -amount)],
                             memo=f"clawback of redemption {redemption.id}", source_kind="voucher_clawback",
                             source_id=str(redemption.id))
    redemption.status = "clawed_back"
    row.clawed_back_fen = int(row.clawed_back_fen) + amount
    receipt = placed_event(session, "voucher.clawed_back", f"voucher_redemption:{redemption.id}",
                     {"amount_fen": amount, "reason": reason, "by": actor.user_id}, redemption.organisation_id)
    return repo.add(session, VoucherClawbackRow(redemption_id=redemption.id, amount_fen=amount, reason=reason,
                                                user_id=actor.user_id, transfer_id=result.id, receipt=receipt))
