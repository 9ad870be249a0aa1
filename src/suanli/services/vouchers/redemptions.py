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
    VoucherRedemptionRow,
    VoucherReservationRow,
    VoucherWalletRow,
)
from suanli.db.repositories import vouchers as repo
from suanli.domain.ledger import AccountPurpose, Leg, OwnerKind
from suanli.domain.ledger.idempotency import check_key, check_replay, request_hash
from suanli.domain.organisations import Principal
from suanli.domain.vouchers import (
    ItemKind,
    Order,
    Side,
    VoucherConflict,
    VoucherRuleViolation,
    claim_key,
    clawback_amount,
    redemption_amount,
)
from suanli.domain.vouchers.errors import VoucherNotFound
from suanli.services import ledger
from suanli.services.vouchers.common import _account, _audit, _id, facts_of
from suanli.services.vouchers.programs import _get_program, program_of
from suanli.services.vouchers.wallets import _best_wallet, _prior, _wallet_state


def redeem_usage(session: Session, *, usage_record_id: int, today: date | None = None) -> VoucherRedemptionRow | None:
    """At metering (兑付): the voucher pays its share of one usage record, from the job's hold first.
    A usage record is redeemed at most once (a replay is a 409); None when no voucher applies."""
    today = today or utcnow().date()
    found = repo.usage_with_center(session, usage_record_id)
    if found is None:
        raise VoucherNotFound(f"usage record {usage_record_id} does not exist")
    usage, center, job = found
    order = Order(ItemKind.COMPUTE, int(usage.charge_fen), center, f"usage:{usage.id}")
    if repo.redemption_by_claim(session, claim_key(order)) is not None:
        raise VoucherConflict(f"usage record {usage.id} was already redeemed", rule="order.double-claim")
    reservation = repo.reservation_of_job(session, job.id, for_update=True)
    if reservation is not None and reservation.status == "open":
        wallet = repo.get_wallet(session, reservation.wallet_id, for_update=True)
    else:
        reservation, best = None, _best_wallet(session, usage.organisation_id, order, today)
        wallet = repo.get_wallet(session, best[0].id, for_update=True) if best else None
    if wallet is None:
        return None
    return _redeem(session, wallet, order, today=today, reservation=reservation, usage_record_id=usage.id)


def _redeem(session: Session, wallet: VoucherWalletRow, order: Order, *, today: date,
            reservation: VoucherReservationRow | None, usage_record_id: int | None = None,
            strict: bool = False, keyed: tuple[str, str] | None = None) -> VoucherRedemptionRow | None:
    row = _get_program(session, wallet.program_id)
    org = repo.get_organisation(session, wallet.organisation_id)
    assert org is not None
    held = int(reservation.amount_fen) if reservation is not None else 0
    decision = redemption_amount(program_of(row), order, buyer=facts_of(org), wallet=_wallet_state(wallet), today=today,
                                 prior=_prior(session, order.basis), project_class=wallet.project_class,
                                 reserved_for_order_fen=held)
    if strict:
        decision.raise_if_refused()
    if not decision.allowed or decision.amount_fen <= 0:
        return None
    amount = decision.amount_fen
    from_hold = min(amount, held)
    receivable = _account(session, AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, wallet.organisation_id)
    key = f"voucher:redeem:{claim_key(order)}"
    if from_hold and reservation is not None:
        posted = ledger.post(session, idempotency_key=key + ":hold", pending_id=_id(reservation.hold_transfer_id),
                             amount_fen=from_hold, final=False, source_kind="voucher_redemption", source_id=order.basis)
        transfer_id = posted.id
        reservation.amount_fen = held - from_hold
    if amount > from_hold:
        direct = ledger.transfer(session, idempotency_key=key, legs=[
            Leg(_id(wallet.ledger_account_id), amount - from_hold), Leg(receivable, -(amount - from_hold))],
            memo=f"voucher share of {order.basis}", source_kind="voucher_redemption", source_id=order.basis)
        transfer_id = direct.id
    wallet.reserved_fen = int(wallet.reserved_fen) - from_hold
    wallet.redeemed_fen = int(wallet.redeemed_fen) + amount
    receipt = _audit(session, "voucher.redeemed", order.basis,
                     {"program": row.code, "amount_fen": amount, "order_fen": order.amount_fen,
                      "provider": order.provider, "side": order.side.value}, wallet.organisation_id)
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


@dataclass(frozen=True, slots=True)
class ContractClaim:
    """A reimbursement claim (Yangzhou): a signed and paid contract for compute, data or models."""

    program_id: int
    contract_id: str
    provider: str
    amount_fen: int
    kind: ItemKind = ItemKind.COMPUTE
    side: Side = Side.DEMAND
    contract_signed: bool = False
    contract_paid: bool = False
    through_platform: bool = True


@dataclass(frozen=True, slots=True)
class Claimed:
    """A contract claim's answer: the redemption, and whether it is a replay of an earlier request."""

    redemption: VoucherRedemptionRow
    replayed: bool = False


def claim_hash(claim: ContractClaim, organisation_id: int | None) -> str:
    """The canonical hash an Idempotency-Key is bound to: every field of the claim and the claimant."""
    body = {**asdict(claim), "kind": claim.kind.value, "side": claim.side.value, "organisation_id": organisation_id}
    return request_hash(body)


def claim_contract(session: Session, *, claim: ContractClaim, actor: Principal, idempotency_key: str,
                   today: date | None = None) -> Claimed:
    """A contract claim under the client's Idempotency-Key (per organisation): a new key redeems, the same
    key with the same claim answers the original redemption, with another claim it is a 409."""
    check_key(idempotency_key)
    return _redeem_contract(session, claim, actor, today, (idempotency_key, claim_hash(claim, actor.organisation_id)))


def redeem_contract(session: Session, *, claim: ContractClaim, actor: Principal,
                    today: date | None = None) -> VoucherRedemptionRow:
    return _redeem_contract(session, claim, actor, today, None).redemption


def _redeem_contract(session: Session, claim: ContractClaim, actor: Principal, today: date | None,
                     keyed: tuple[str, str] | None) -> Claimed:
    today = today or utcnow().date()
    # The wallet lock comes first: it serialises claims of one organisation under one program, so a
    # concurrent retry of the same key waits here and then finds the redemption its twin committed.
    wallet = repo.wallet_of(session, claim.program_id, actor.organisation_id, for_update=True)
    if keyed is not None and (prior := _replay(session, actor, keyed)) is not None:
        return prior
    if wallet is None:
        raise VoucherRuleViolation("no voucher granted under this program / 本项目下无已核定的算力券",
                                   rule="wallet.balance")
    order = Order(claim.kind, claim.amount_fen, claim.provider, f"contract:{claim.contract_id}", claim.side,
                  claim.through_platform, claim.contract_signed, claim.contract_paid)
    if repo.redemption_by_claim(session, claim_key(order)) is not None:
        raise VoucherConflict(f"contract {claim.contract_id} was already redeemed", rule="order.double-claim")
    try:
        result = _redeem(session, wallet, order, today=today, reservation=None, strict=True, keyed=keyed)
    except VoucherConflict:
        if keyed is not None:  # lost a race for the key under another program: name the key, not the contract
            _replay(session, actor, keyed)
        raise
    assert result is not None
    return Claimed(result)


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
    redemption = repo.get_redemption(session, redemption_id, for_update=True)
    if redemption is None:
        raise VoucherNotFound(f"redemption {redemption_id} does not exist")
    decision = clawback_amount(redeemed_fen=int(redemption.amount_fen),
                               already_clawed_back=redemption.status == "clawed_back")
    if not decision.allowed:
        raise VoucherConflict(f"redemption {redemption_id} was already clawed back", rule="clawback.once")
    row = _get_program(session, redemption.program_id, for_update=True)
    amount = decision.amount_fen
    receivable = _account(session, AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, redemption.organisation_id)
    result = ledger.transfer(session, idempotency_key=f"voucher:clawback:{redemption.id}",
                             legs=[Leg(receivable, amount), Leg(_id(row.budget_account_id), -amount)],
                             memo=f"clawback of redemption {redemption.id}", source_kind="voucher_clawback",
                             source_id=str(redemption.id))
    redemption.status = "clawed_back"
    row.clawed_back_fen = int(row.clawed_back_fen) + amount
    receipt = _audit(session, "voucher.clawed_back", f"voucher_redemption:{redemption.id}",
                     {"amount_fen": amount, "reason": reason[:500], "by": actor.user_id}, redemption.organisation_id)
    return repo.add(session, VoucherClawbackRow(redemption_id=redemption.id, amount_fen=amount, reason=reason[:2000],
                                                user_id=actor.user_id, transfer_id=result.id, receipt=receipt))
