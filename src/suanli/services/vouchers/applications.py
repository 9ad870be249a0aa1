"""Applications (申领) and their review: an organisation applies, refused with the rule named unless
every program rule holds; reviewers act stage by stage with separation of duties; approving the last
stage grants (核定) the amount. In an apply-and-enjoy (即申即享) program the grant follows at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.vouchers import VoucherApplicationRow, VoucherReviewRow
from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import InvalidInput
from suanli.domain.organisations import Principal
from suanli.domain.vouchers import (
    Application,
    CapMode,
    ReviewAct,
    Side,
    VoucherConflict,
    check_application,
    check_review,
    grant_amount,
    raise_review_refusal,
)
from suanli.domain.vouchers.bounds import check_fen, check_member, check_text
from suanli.domain.vouchers.errors import VoucherNotFound
from suanli.domain.vouchers.program import Evidence
from suanli.domain.vouchers.review import ReviewDecision
from suanli.services.profile import profile_of
from suanli.services.vouchers.common import audit_event, facts_of, placed_event
from suanli.services.vouchers.documents import uploaded_kinds
from suanli.services.vouchers.grants import grant, grant_limits
from suanli.services.vouchers.programs import budget_left, program_of, program_row

PROJECT_LIMIT, COMMENT_LIMIT = 500, 2000


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
    side = _check_command(command)
    row = program_row(session, command.program_id, for_update=True)
    program = program_of(row)
    org = repo.get_organisation(session, actor.organisation_id)
    assert org is not None
    evidence = frozenset(check_member("evidence", k, Evidence) for k in (command.evidence or {}))
    profile = tuple(profile_of(session, org.id).facts.values())  # 一企一档: recorded with source and date
    app = Application(facts_of(org, profile), command.requested_fen, side, command.project_class, command.sector,
                      command.scale_pflops_fp16, evidence)
    decision = check_application(program, app, today, opened=row.status == "open").raise_if_refused()
    mode = CapMode.LIMIT if program.apply_and_enjoy else CapMode.STRICT
    grant_amount(program, amount_fen=command.requested_fen, project_class=command.project_class,
                 organisation_granted_fen=repo.organisation_granted(session, row.id, org.id),
                 budget_left_fen=budget_left(row), mode=mode,
                 **grant_limits(session, row, program, org.id, today)).raise_if_refused()
    application = repo.add(session, VoucherApplicationRow(
        program_id=row.id, organisation_id=org.id, applicant_user_id=actor.user_id, side=side.value,
        project=command.project, project_class=command.project_class, sector=command.sector,
        requested_fen=command.requested_fen,
        scale_pflops_fp16=str(command.scale_pflops_fp16) if command.scale_pflops_fp16 is not None else None,
        evidence=command.evidence or {}, status="submitted", rules=decision.explain(),
        priority="priority.sector" in decision.rule_ids()))
    if program.apply_and_enjoy:
        grant(session, row, program, application, amount_fen=command.requested_fen, actor=actor, today=today,
               mode=CapMode.LIMIT)
    # Audit last, after the ledger: every writer takes row locks, then ledger accounts, then the log.
    audit_event(session, "voucher.application_submitted", f"voucher_application:{application.id}",
           {"program": row.code, "requested_fen": command.requested_fen}, org.id)
    return application


def _check_command(command: ApplyCommand) -> Side:
    """Server-side bounds of an application, whatever edge it came through."""
    check_fen("requested_fen", command.requested_fen)
    check_text("project", command.project, PROJECT_LIMIT, required=True)
    check_text("project_class", command.project_class, 63)
    check_text("sector", command.sector, 63)
    _check_scale("scale_pflops_fp16", command.scale_pflops_fp16)
    return check_member("side", command.side, Side)


def _check_scale(name: str, value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        scale = Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number", field=name) from None
    if not scale.is_finite() or not 0 <= scale <= 10**6:
        raise InvalidInput(f"{name} must be between 0 and 1000000", field=name)
    return scale


def decision_of(decision: ReviewDecision | str | None, approve: bool | None) -> ReviewDecision:
    """The reviewer's decision from the closed set; an unknown value is refused, never read as a rejection."""
    if decision is None:
        if not isinstance(approve, bool):
            raise InvalidInput("decision must be approve or reject", field="decision")
        return ReviewDecision.APPROVE if approve else ReviewDecision.REJECT
    return check_member("decision", decision, ReviewDecision)


def review(session: Session, *, application_id: int, actor: Principal, approve: bool | None = None,
           decision: ReviewDecision | str | None = None, score: int | None = None, comment: str = "",
           amount_fen: int | None = None, today: date | None = None,
           verified_scale_pflops_fp16: Decimal | None = None) -> VoucherReviewRow:
    """Act at the application's current stage; approving the last stage grants (核定) the amount
    (never above the amount requested unless the program file allows raising it). Approving needs the
    documents the stage requires uploaded and, at a stage that verifies scale, the reviewer's own
    verified figure (recorded on the review, never the applicant's)."""
    today = today or utcnow().date()
    approve = decision_of(decision, approve) is ReviewDecision.APPROVE
    if score is not None and (isinstance(score, bool) or not isinstance(score, int)):
        raise InvalidInput("score must be a whole number", field="score")
    check_text("comment", comment, COMMENT_LIMIT)
    if amount_fen is not None:
        check_fen("amount_fen", amount_fen)
    verified = _check_scale("verified_scale_pflops_fp16", verified_scale_pflops_fp16)
    application = repo.get_application(session, application_id, for_update=True)
    if application is None or not actor.may_read_organisation(application.organisation_id):
        raise VoucherNotFound(f"application {application_id} does not exist")
    if application.status == "needs_documents":  # decided once the applicant answers (document_requests)
        raise VoucherConflict(f"application {application_id} is waiting for the documents a reviewer asked for",
                              rule="review.awaiting-documents")
    if application.status not in ("submitted", "in_review"):
        raise VoucherConflict(f"application {application_id} is already {application.status}", rule="review.stage")
    row = program_row(session, application.program_id, for_update=True)
    program = program_of(row)
    done = [ReviewAct(r.stage, r.user_id) for r in repo.reviews_of(session, application.id) if r.approve]
    stage, verdict = check_review(program, done=done, actor=actor, applicant_organisation_id=application.organisation_id,
                                  approve=approve, score=score, documents=uploaded_kinds(session, application.id),
                                  verified_scale=verified)
    raise_review_refusal(verdict)
    assert stage is not None
    if verified is not None and not stage.verifies_scale:
        raise InvalidInput(f"stage {stage.name} does not verify scale", field="verified_scale_pflops_fp16")
    try:
        with session.begin_nested():
            act = repo.add(session, VoucherReviewRow(application_id=application.id, stage=stage.name,
                                                     user_id=actor.user_id, role=actor.role.value, approve=approve,
                                                     score=score, comment=comment, rules=verdict.explain(),
                                                     verified_scale_pflops_fp16=None if verified is None else str(verified)))
    except IntegrityError:
        raise VoucherConflict(f"stage {stage.name} was already acted on", rule="review.stage") from None
    last = stage.name == program.review_stages[-1].name
    application.status = "rejected" if not approve else ("approved" if last else "in_review")
    if approve and last:
        grant(session, row, program, application, amount_fen=amount_fen or int(application.requested_fen),
               actor=actor, today=today, mode=CapMode.STRICT)
    act.receipt = placed_event(session, "voucher.application_reviewed", f"voucher_application:{application.id}",
                         {"stage": stage.name, "approve": approve, "score": score, "by": actor.user_id,
                          **({"verified_scale_pflops_fp16": str(verified)} if verified is not None else {})},
                         application.organisation_id)
    session.flush()
    return act
