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
from suanli.domain.vouchers.errors import VoucherNotFound
from suanli.domain.vouchers.program import Evidence
from suanli.services.vouchers.common import _audit, facts_of
from suanli.services.vouchers.grants import _grant
from suanli.services.vouchers.programs import _get_program, budget_left, program_of


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
