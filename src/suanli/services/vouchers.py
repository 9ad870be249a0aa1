"""Voucher use cases (算力券): load a program file, open/close its window, apply, review with
separation of duties, grant within the budget, reserve at admission and redeem against metered usage,
expire, claw back, forecast and publish the disclosure list (公示).

Money moves through the ledger (services/ledger.py): each program has a non-negative budget account
funded from platform equity; a grant moves budget -> the organisation's voucher wallet; a redemption
moves wallet -> the organisation's receivable (its bill shrinks by the voucher's share); expiry moves
the wallet's remainder back to the budget; a clawback moves the redeemed amount from the receivable
back to the budget. Counters on program and wallet rows are updated under a row lock and re-checked by
CHECK constraints, and the ledger's non-negative accounts check the same money a third time.
Every write appends an audit event and keeps its receipt. Services only flush.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.organisations import OrganisationRow
from suanli.db.models.vouchers import (
    VoucherApplicationRow,
    VoucherClawbackRow,
    VoucherDisclosureRow,
    VoucherGrantRow,
    VoucherProgramRow,
    VoucherRedemptionRow,
    VoucherReservationRow,
    VoucherReviewRow,
    VoucherWalletRow,
)
from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import Forbidden
from suanli.domain.ledger import AccountPurpose, Leg, OwnerKind
from suanli.domain.organisations import OrganisationFacts, OrganisationType, Principal
from suanli.domain.vouchers import (
    Application,
    CapMode,
    ItemKind,
    Order,
    PriorClaim,
    ReviewAct,
    Side,
    SideMode,
    VoucherConflict,
    VoucherProgram,
    VoucherRuleViolation,
    Wallet,
    check_application,
    check_review,
    claim_key,
    clawback_amount,
    forecast_exhaustion,
    grant_amount,
    grant_expiry,
    parse_program,
    program_hash,
    raise_review_refusal,
    redemption_amount,
)
from suanli.domain.vouchers import disclosure as disclosure_format
from suanli.domain.vouchers.errors import VoucherNotFound
from suanli.domain.vouchers.forecast import Forecast, burn_down
from suanli.domain.vouchers.program import Evidence
from suanli.services import ledger
from suanli.services.audit import record_event

_programs: dict[str, VoucherProgram] = {}  # parsed program files by text hash (immutable once loaded)


def program_of(row: VoucherProgramRow) -> VoucherProgram:
    if row.text_hash not in _programs:
        _programs[row.text_hash] = parse_program(row.text)
    return _programs[row.text_hash]


def facts_of(org: OrganisationRow) -> OrganisationFacts:
    return OrganisationFacts(org.name, OrganisationType(org.type), org.city, frozenset(org.sectors or ()), org.sme,
                             org.incubator, frozenset(org.affiliated_centers or ()))


def _audit(session: Session, kind: str, subject: str, payload: dict[str, Any], organisation_id: int | None = None) -> dict[str, Any]:
    recorded = record_event(session, kind=kind, subject=subject, payload=payload, organisation_id=organisation_id)
    return {"seq": recorded.seq, "leaf_hash": recorded.leaf_hash.hex(), "tree_size": recorded.tree_size,
            "root_hash": recorded.root_hash.hex()}


def budget_left(row: VoucherProgramRow) -> int:
    return int(row.budget_fen) - int(row.granted_fen) + int(row.returned_fen) + int(row.clawed_back_fen)


def _get_program(session: Session, program_id: int, *, for_update: bool = False) -> VoucherProgramRow:
    row = repo.get_program(session, program_id, for_update=for_update)
    if row is None:
        raise VoucherNotFound(f"voucher program {program_id} does not exist")
    return row


def _account(session: Session, purpose: AccountPurpose, owner_kind: OwnerKind, owner_id: int | None,
             scope: str = "") -> int:
    return ledger.open_account(session, purpose=purpose, owner_kind=owner_kind, owner_id=owner_id, scope=scope).id


# --- programs ------------------------------------------------------------------------------------------


def load_program(session: Session, *, text: str, actor: Principal | None = None) -> VoucherProgramRow:
    """Validate and record a program file; loading the same text again is a no-op, a changed file under
    the same id is refused (a published program never changes silently)."""
    program = parse_program(text)
    digest = program_hash(text)
    existing = repo.program_by_code(session, program.id)
    if existing is not None:
        if existing.text_hash == digest:
            return existing
        raise VoucherConflict(f"program {program.id!r} is already loaded with different text", rule="program.immutable")
    row = repo.add(session, VoucherProgramRow(
        code=program.id, year=program.year, title_zh=program.title.zh, title_en=program.title.en, text=text,
        text_hash=digest, side_mode=program.side.value, status="loaded", budget_fen=program.budget_fen,
        granted_fen=0, returned_fen=0, clawed_back_fen=0, loaded_by=actor.user_id if actor else None))
    budget = _account(session, AccountPurpose.PROGRAM_BUDGET, OwnerKind.PROGRAM, row.id)
    equity = _account(session, AccountPurpose.EQUITY, OwnerKind.PLATFORM, None)
    if program.budget_fen > 0:
        ledger.transfer(session, idempotency_key=f"voucher:budget:{row.id}", legs=[
            Leg(equity, program.budget_fen), Leg(budget, -program.budget_fen)],
            memo=f"annual budget of {program.id}", source_kind="voucher_program", source_id=str(row.id))
    row.budget_account_id = budget
    row.receipt = _audit(session, "voucher.program_loaded", f"voucher_program:{row.id}",
                         {"code": program.id, "sha256": digest, "budget_fen": program.budget_fen})
    session.flush()
    return row


def set_window(session: Session, *, program_id: int, open: bool, actor: Principal) -> VoucherProgramRow:
    row = _get_program(session, program_id, for_update=True)
    row.status = "open" if open else "closed"
    _audit(session, "voucher.window_opened" if open else "voucher.window_closed", f"voucher_program:{row.id}",
           {"by": actor.user_id})
    session.flush()
    return row


# --- applications and review ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplyCommand:
    program_id: int
    project: str
    requested_fen: int
    side: Side = Side.DEMAND
    project_class: str | None = None
    sector: str | None = None
    scale_pflops_fp16: Decimal | None = None
    evidence: dict[str, Any] | None = None


def apply(session: Session, *, command: ApplyCommand, actor: Principal, today: date | None = None) -> VoucherApplicationRow:
    """An organisation applies (申领). Refused with the rule named unless every program rule holds;
    in an apply-and-enjoy (即申即享) program the grant follows at once."""
    today = today or utcnow().date()
    row = _get_program(session, command.program_id, for_update=True)
    program = program_of(row)
    org = repo.get_organisation(session, actor.organisation_id)
    assert org is not None
    evidence = frozenset(Evidence(k) for k in (command.evidence or {}) if k in Evidence.__members__.values())
    app = Application(facts_of(org), command.requested_fen, command.side, command.project_class, command.sector,
                      command.scale_pflops_fp16, evidence)
    decision = check_application(program, app, today, opened=row.status == "open").raise_if_refused()
    mode = CapMode.LIMIT if program.apply_and_enjoy else CapMode.STRICT
    grant_amount(program, amount_fen=command.requested_fen, project_class=command.project_class,
                 organisation_granted_fen=repo.organisation_granted(session, row.id, org.id),
                 budget_left_fen=budget_left(row), mode=mode).raise_if_refused()
    application = repo.add(session, VoucherApplicationRow(
        program_id=row.id, organisation_id=org.id, applicant_user_id=actor.user_id, side=command.side.value,
        project=command.project, project_class=command.project_class, sector=command.sector,
        requested_fen=command.requested_fen,
        scale_pflops_fp16=str(command.scale_pflops_fp16) if command.scale_pflops_fp16 is not None else None,
        evidence=command.evidence or {}, status="submitted", rules=decision.explain(),
        priority="priority.sector" in decision.rule_ids()))
    if program.apply_and_enjoy:
        _grant(session, row, program, application, amount_fen=command.requested_fen, actor=actor, today=today,
               mode=CapMode.LIMIT)
    # Audit last, after the ledger: every writer takes row locks, then ledger accounts, then the log.
    _audit(session, "voucher.application_submitted", f"voucher_application:{application.id}",
           {"program": row.code, "requested_fen": command.requested_fen}, org.id)
    return application


def review(session: Session, *, application_id: int, actor: Principal, approve: bool, score: int | None = None,
           comment: str = "", amount_fen: int | None = None, today: date | None = None) -> VoucherReviewRow:
    """Act at the application's current stage; approving the last stage grants (核定) the amount."""
    today = today or utcnow().date()
    application = repo.get_application(session, application_id, for_update=True)
    if application is None:
        raise VoucherNotFound(f"application {application_id} does not exist")
    if application.status not in ("submitted", "in_review"):
        raise VoucherConflict(f"application {application_id} is already {application.status}", rule="review.stage")
    row = _get_program(session, application.program_id, for_update=True)
    program = program_of(row)
    done = [ReviewAct(r.stage, r.user_id) for r in repo.reviews_of(session, application.id) if r.approve]
    stage, decision = check_review(program, done=done, actor=actor, applicant_organisation_id=application.organisation_id,
                                   approve=approve, score=score)
    raise_review_refusal(decision)
    assert stage is not None
    try:
        with session.begin_nested():
            act = repo.add(session, VoucherReviewRow(application_id=application.id, stage=stage.name,
                                                     user_id=actor.user_id, role=actor.role.value, approve=approve,
                                                     score=score, comment=comment[:2000], rules=decision.explain()))
    except IntegrityError:
        raise VoucherConflict(f"stage {stage.name} was already acted on", rule="review.stage") from None
    last = stage.name == program.review_stages[-1].name
    application.status = "rejected" if not approve else ("approved" if last else "in_review")
    if approve and last:
        _grant(session, row, program, application, amount_fen=amount_fen or int(application.requested_fen),
               actor=actor, today=today, mode=CapMode.STRICT)
    act.receipt = _audit(session, "voucher.application_reviewed", f"voucher_application:{application.id}",
                         {"stage": stage.name, "approve": approve, "score": score, "by": actor.user_id},
                         application.organisation_id)
    session.flush()
    return act


def _grant(session: Session, row: VoucherProgramRow, program: VoucherProgram, application: VoucherApplicationRow, *,
           amount_fen: int, actor: Principal, today: date, mode: CapMode) -> VoucherGrantRow:
    """Grant within caps and the remaining budget; the caller holds the program row lock."""
    if repo.grant_of(session, application.id) is not None:
        raise VoucherConflict(f"application {application.id} was already granted", rule="grant.once")
    decision = grant_amount(program, amount_fen=amount_fen, project_class=application.project_class,
                            organisation_granted_fen=repo.organisation_granted(session, row.id, application.organisation_id),
                            budget_left_fen=budget_left(row), mode=mode).raise_if_refused()
    amount, expires = decision.amount_fen, grant_expiry(program, today)
    wallet = _wallet_for(session, row, application, expires)
    result = ledger.transfer(session, idempotency_key=f"voucher:grant:{application.id}",
                             legs=[Leg(row.budget_account_id, amount), Leg(wallet.ledger_account_id, -amount)],
                             memo=f"grant under {row.code}", source_kind="voucher_grant", source_id=str(application.id))
    row.granted_fen = int(row.granted_fen) + amount
    wallet.granted_fen = int(wallet.granted_fen) + amount
    wallet.expires_on, wallet.status = max(wallet.expires_on, expires), "active"
    application.status = "granted"
    receipt = _audit(session, "voucher.grant_approved", f"voucher_application:{application.id}",
                     {"program": row.code, "amount_fen": amount, "expires_on": expires.isoformat(),
                      "by": actor.user_id, "transfer": result.id}, application.organisation_id)
    grant = repo.add(session, VoucherGrantRow(
        application_id=application.id, program_id=row.id, organisation_id=application.organisation_id,
        wallet_id=wallet.id, amount_fen=amount, expires_on=expires, approved_by=actor.user_id,
        transfer_id=result.id, rules=decision.explain(), receipt=receipt))
    return grant


def _wallet_for(session: Session, row: VoucherProgramRow, application: VoucherApplicationRow,
                expires: date) -> VoucherWalletRow:
    wallet = repo.wallet_of(session, row.id, application.organisation_id, for_update=True)
    if wallet is None:
        account = _account(session, AccountPurpose.VOUCHER_WALLET, OwnerKind.ORGANISATION, application.organisation_id,
                           scope=f"program:{row.id}")
        wallet = repo.add(session, VoucherWalletRow(
            program_id=row.id, organisation_id=application.organisation_id, project_class=application.project_class,
            granted_fen=0, reserved_fen=0, redeemed_fen=0, returned_fen=0, expires_on=expires, status="active",
            ledger_account_id=account))
    return wallet


# --- redemption ------------------------------------------------------------------------------------------


def _wallet_state(w: VoucherWalletRow) -> Wallet:
    return Wallet(int(w.granted_fen), w.expires_on, int(w.reserved_fen), int(w.redeemed_fen), int(w.returned_fen))


def _prior(session: Session, basis: str) -> list[PriorClaim]:
    return [PriorClaim(code, Side(side), mode == SideMode.PROVIDER_XOR_USER.value)
            for code, side, mode in repo.prior_claims(session, basis)]


def _best_wallet(session: Session, organisation_id: int, order: Order, today: date,
                 ) -> tuple[VoucherWalletRow, VoucherProgramRow, int] | None:
    """The active wallet that would pay the most for this order, with that amount."""
    org = repo.get_organisation(session, organisation_id)
    assert org is not None
    best = None
    for wallet in repo.list_wallets(session, organisation_id=organisation_id, status="active"):
        row = _get_program(session, wallet.program_id)
        decision = redemption_amount(program_of(row), order, buyer=facts_of(org), wallet=_wallet_state(wallet),
                                     today=today, prior=_prior(session, order.basis), project_class=wallet.project_class)
        if decision.allowed and decision.amount_fen > 0 and (best is None or decision.amount_fen > best[2]):
            best = (wallet, row, decision.amount_fen)
    return best


def reserve_for_job(session: Session, *, job_id: int, organisation_id: int, center: str, estimate_fen: int,
                    today: date | None = None) -> VoucherReservationRow | None:
    """At admission: hold the voucher's share of the job's estimated charge (None: no voucher applies)."""
    today = today or utcnow().date()
    if repo.reservation_of_job(session, job_id) is not None:
        return repo.reservation_of_job(session, job_id)
    found = _best_wallet(session, organisation_id, Order(ItemKind.COMPUTE, estimate_fen, center, f"job:{job_id}"), today)
    if found is None:
        return None
    wallet = repo.get_wallet(session, found[0].id, for_update=True)
    assert wallet is not None
    amount = min(found[2], _wallet_state(wallet).available_fen)
    if amount <= 0:
        return None
    receivable = _account(session, AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, organisation_id)
    hold = ledger.reserve(session, idempotency_key=f"voucher:reserve:job:{job_id}", debit_account_id=wallet.ledger_account_id,
                          credit_account_id=receivable, amount_fen=amount, memo=f"voucher hold for job {job_id}",
                          source_kind="job", source_id=str(job_id))
    wallet.reserved_fen = int(wallet.reserved_fen) + amount
    reservation = repo.add(session, VoucherReservationRow(job_id=job_id, wallet_id=wallet.id, amount_fen=amount,
                                                          hold_transfer_id=hold.id, status="open"))
    _audit(session, "voucher.reserved", f"job:{job_id}", {"wallet": wallet.id, "amount_fen": amount}, organisation_id)
    return reservation


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
            strict: bool = False) -> VoucherRedemptionRow | None:
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
    if from_hold:
        posted = ledger.post(session, idempotency_key=key + ":hold", pending_id=reservation.hold_transfer_id,
                             amount_fen=from_hold, final=False, source_kind="voucher_redemption", source_id=order.basis)
        transfer_id = posted.id
        reservation.amount_fen = held - from_hold
    if amount > from_hold:
        direct = ledger.transfer(session, idempotency_key=key, legs=[
            Leg(wallet.ledger_account_id, amount - from_hold), Leg(receivable, -(amount - from_hold))],
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
                rules=decision.explain(), receipt=receipt))
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


def redeem_contract(session: Session, *, claim: ContractClaim, actor: Principal,
                    today: date | None = None) -> VoucherRedemptionRow:
    today = today or utcnow().date()
    wallet = repo.wallet_of(session, claim.program_id, actor.organisation_id, for_update=True)
    if wallet is None:
        raise VoucherRuleViolation("no voucher granted under this program / 本项目下无已核定的算力券",
                                   rule="wallet.balance")
    order = Order(claim.kind, claim.amount_fen, claim.provider, f"contract:{claim.contract_id}", claim.side,
                  claim.through_platform, claim.contract_signed, claim.contract_paid)
    if repo.redemption_by_claim(session, claim_key(order)) is not None:
        raise VoucherConflict(f"contract {claim.contract_id} was already redeemed", rule="order.double-claim")
    result = _redeem(session, wallet, order, today=today, reservation=None, strict=True)
    assert result is not None
    return result


def release_for_job(session: Session, *, job_id: int) -> int:
    """At job end: release what the hold still keeps back into the wallet; returns the fen released."""
    reservation = repo.reservation_of_job(session, job_id, for_update=True)
    if reservation is None or reservation.status != "open":
        return 0
    wallet = repo.get_wallet(session, reservation.wallet_id, for_update=True)
    assert wallet is not None
    released = int(reservation.amount_fen)
    ledger.void(session, idempotency_key=f"voucher:release:job:{job_id}", pending_id=reservation.hold_transfer_id)
    wallet.reserved_fen = int(wallet.reserved_fen) - released
    reservation.amount_fen, reservation.status = 0, "closed"
    _audit(session, "voucher.released", f"job:{job_id}", {"amount_fen": released}, wallet.organisation_id)
    session.flush()
    return released


# --- expiry, clawback ------------------------------------------------------------------------------------


def expire_wallets(session: Session, *, today: date | None = None) -> list[tuple[int, int]]:
    """Close wallets past their validity; each remainder goes back to its program budget."""
    today = today or utcnow().date()
    done = []
    for stale in repo.expired_wallets(session, today):
        row = _get_program(session, stale.program_id, for_update=True)
        wallet = repo.get_wallet(session, stale.id, for_update=True)
        assert wallet is not None
        closed, remainder = _wallet_state(wallet).expire()
        if remainder:
            ledger.transfer(session, idempotency_key=f"voucher:expire:{wallet.id}:{int(wallet.returned_fen)}",
                            legs=[Leg(wallet.ledger_account_id, remainder), Leg(row.budget_account_id, -remainder)],
                            memo="expired voucher remainder", source_kind="voucher_wallet", source_id=str(wallet.id))
        wallet.returned_fen, wallet.status = closed.returned_fen, "expired"
        row.returned_fen = int(row.returned_fen) + remainder
        _audit(session, "voucher.expired", f"voucher_wallet:{wallet.id}", {"returned_fen": remainder},
               wallet.organisation_id)
        done.append((wallet.id, remainder))
    session.flush()
    return done


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
                             legs=[Leg(receivable, amount), Leg(row.budget_account_id, -amount)],
                             memo=f"clawback of redemption {redemption.id}", source_kind="voucher_clawback",
                             source_id=str(redemption.id))
    redemption.status = "clawed_back"
    row.clawed_back_fen = int(row.clawed_back_fen) + amount
    receipt = _audit(session, "voucher.clawed_back", f"voucher_redemption:{redemption.id}",
                     {"amount_fen": amount, "reason": reason[:500], "by": actor.user_id}, redemption.organisation_id)
    return repo.add(session, VoucherClawbackRow(redemption_id=redemption.id, amount_fen=amount, reason=reason[:2000],
                                                user_id=actor.user_id, transfer_id=result.id, receipt=receipt))


# --- reading: wallets, forecast, disclosure ----------------------------------------------------------------


def check_may_read(actor: Principal, organisation_id: int) -> None:
    if not actor.may_read_organisation(organisation_id):
        raise Forbidden("you may only see your own organisation's vouchers")


def forecast(session: Session, *, program_id: int, today: date | None = None, window_days: int = 30,
             ) -> tuple[Forecast, list[tuple[date, int]]]:
    """When does the budget run out at the current rate? And the burn-down so far."""
    today = today or utcnow().date()
    row = _get_program(session, program_id)
    burn = [(created.date(), amount) for created, amount in repo.grants_by_day(session, row.id)]
    return forecast_exhaustion(budget_left(row), burn, today, window_days), burn_down(int(row.budget_fen), burn)


def disclosure(session: Session, *, program_id: int, actor: Principal | None = None, publish: bool = False,
               ) -> list[dict[str, Any]]:
    """The disclosure list (公示); when published, its hash is recorded and audited."""
    row = _get_program(session, program_id)
    rows = [disclosure_format.disclosure_row(
        program=row.code, organisation=org.name, organisation_zh=org.name_zh, project=app.project,
        amount_fen=int(grant.amount_fen), granted_on=grant.created_at.date().isoformat(),
        expires_on=grant.expires_on.isoformat()) for grant, org, app in repo.disclosure_rows(session, row.id)]
    if publish and actor is not None:
        digest = disclosure_format.rows_hash(rows)
        receipt = _audit(session, "voucher.disclosure_published", f"voucher_program:{row.id}",
                         {"rows": len(rows), "sha256": digest})
        repo.add(session, VoucherDisclosureRow(program_id=row.id, published_by=actor.user_id, rows=rows,
                                               rows_hash=digest, receipt=receipt))
    return rows


# --- the billing seam (services/billing.py looks this function up by name) ----------------------------------


def voucher_share(session: Session, *, usage: Any, charge_fen: int, today: date | None = None) -> Any:
    """Billing's question at metering: how much of this usage's list price does a voucher pay? Records
    the redemption (unique per usage record) and the wallet's counters; billing posts the money itself
    (wallet -> provider payable, drawing the program's reserve fund at the provider)."""
    from suanli.services.billing import VoucherShare

    today = today or utcnow().date()
    found = repo.usage_with_center(session, usage.id)
    if found is None or charge_fen <= 0:
        return None
    order = Order(ItemKind.COMPUTE, charge_fen, found[1], f"usage:{usage.id}")
    if repo.redemption_by_claim(session, claim_key(order)) is not None:
        return None  # already subsidised: never twice
    best = _best_wallet(session, usage.organisation_id, order, today)
    if best is None:
        return None
    wallet = repo.get_wallet(session, best[0].id, for_update=True)
    assert wallet is not None
    row = _get_program(session, wallet.program_id)
    org = repo.get_organisation(session, wallet.organisation_id)
    assert org is not None
    decision = redemption_amount(program_of(row), order, buyer=facts_of(org), wallet=_wallet_state(wallet), today=today,
                                 prior=_prior(session, order.basis), project_class=wallet.project_class)
    if not decision.allowed or decision.amount_fen <= 0:
        return None
    wallet.redeemed_fen = int(wallet.redeemed_fen) + decision.amount_fen
    receipt = _audit(session, "voucher.redeemed", order.basis,
                     {"program": row.code, "amount_fen": decision.amount_fen, "order_fen": charge_fen,
                      "provider": order.provider, "side": order.side.value}, wallet.organisation_id)
    repo.add(session, VoucherRedemptionRow(
        program_id=row.id, wallet_id=wallet.id, organisation_id=wallet.organisation_id, usage_record_id=usage.id,
        claim_key=claim_key(order), basis=order.basis, side=order.side.value, kind=order.kind.value,
        provider=order.provider, order_amount_fen=charge_fen, amount_fen=decision.amount_fen, status="redeemed",
        rules=decision.explain(), receipt=receipt))
    reasons = tuple(r.en for r in decision.rules if r.outcome.value in ("limited", "passed"))
    return VoucherShare(decision.amount_fen, row.id, wallet.ledger_account_id, row.code, reasons)
