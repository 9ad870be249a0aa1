"""Multi-stage review (审核): who may act at which stage, with separation of duties.

An officer may not act on an application from their own organisation, and one person may not act at
two stages of the same application; each stage names the role that acts there.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from suanli.domain.errors import Forbidden
from suanli.domain.organisations import Principal
from suanli.domain.vouchers.errors import SeparationOfDuties, VoucherConflict, VoucherRuleViolation
from suanli.domain.vouchers.program import Evidence, ReviewStage, VoucherProgram
from suanli.domain.vouchers.rules import Decision, Outcome, RuleFired, decide, fire


class ReviewDecision(StrEnum):
    """The closed set of decisions a reviewer takes at a stage."""

    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class ReviewAct:
    """One stage already passed on an application."""

    stage: str
    user_id: int


def next_stage(program: VoucherProgram, done: list[ReviewAct]) -> ReviewStage | None:
    passed = {a.stage for a in done}
    return next((s for s in program.review_stages if s.name not in passed), None)


def check_review(
    program: VoucherProgram,
    *,
    done: list[ReviewAct],
    actor: Principal,
    applicant_organisation_id: int,
    approve: bool,
    score: int | None = None,
    documents: AbstractSet[Evidence] = frozenset(),
    verified_scale: Decimal | None = None,
) -> tuple[ReviewStage | None, Decision]:
    """May `actor` act at the application's current stage? Returns the stage and the decision.
    Approving needs the stage's required document types among `documents` (the uploaded files) and,
    at a stage that verifies scale, the reviewer's own `verified_scale` at or above the threshold."""
    stage = next_stage(program, done)
    if stage is None:
        return None, decide([fire("review.stage", Outcome.FAILED)])
    rules: list[RuleFired] = []
    role_ok = actor.role == stage.role
    rules.append(fire("review.role", Outcome.PASSED if role_ok else Outcome.FAILED, stage=stage.name, role=stage.role.value))
    own = actor.organisation_id == applicant_organisation_id
    rules.append(fire("review.own-organisation", Outcome.FAILED if own else Outcome.PASSED))
    twice = any(a.user_id == actor.user_id for a in done)
    rules.append(fire("review.same-person", Outcome.FAILED if twice else Outcome.PASSED))
    if score is not None and (not stage.scored or not 0 <= score <= stage.max_score):
        span = f"0..{stage.max_score}" if stage.scored else "none (this stage is not scored)"
        rules.append(fire("review.score-range", Outcome.FAILED, score=score, stage=stage.name, span=span))
    elif stage.scored and approve:
        minimum = stage.min_score or 0
        ok = score is not None and score >= minimum
        rules.append(fire("review.min-score", Outcome.PASSED if ok else Outcome.FAILED, score=score, minimum=minimum))
    if approve:
        rules += _evidence_rules(program, stage, documents, verified_scale)
    return stage, decide(rules)


def _evidence_rules(program: VoucherProgram, stage: ReviewStage, documents: AbstractSet[Evidence],
                    verified_scale: Decimal | None) -> list[RuleFired]:
    rules = []
    missing = [e.value for e in stage.requires if e not in documents]
    if missing:
        rules.append(fire("review.documents", Outcome.FAILED, stage=stage.name, missing=", ".join(missing)))
    if stage.verifies_scale and program.scale is not None:
        minimum = program.scale.min_pflops_fp16
        if verified_scale is None:
            rules.append(fire("scale.unverified", Outcome.FAILED, stage=stage.name))
        else:
            ok = verified_scale >= minimum
            rules.append(fire("scale.verified", Outcome.PASSED if ok else Outcome.FAILED, scale=verified_scale,
                              minimum=minimum))
    return rules


def raise_review_refusal(decision: Decision) -> None:
    """Role and duty failures are 403s; a wrong state is a 409; a low score is a 422."""
    failed = decision.failed
    if failed is None:
        return
    detail = f"{failed.en} / {failed.zh}"
    if failed.id in ("review.own-organisation", "review.same-person"):
        raise SeparationOfDuties(detail, rule=failed.id, rules=decision.explain())
    if failed.id == "review.role":
        raise Forbidden(detail, rule=failed.id, rules=decision.explain())
    if failed.id == "review.stage":
        raise VoucherConflict(detail, rule=failed.id, rules=decision.explain())
    if failed.id == "review.score-range":
        raise VoucherRuleViolation(detail, rule=failed.id, field="score", rules=decision.explain())
    decision.raise_if_refused()


def check_documents_supplied(asked: Sequence[Evidence], uploaded_since: AbstractSet[Evidence]) -> Decision:
    """May the applicant answer a request for more documents? Each type asked for needs a file
    uploaded after the request (one from before is what the reviewer found wanting). A request that
    names no type is answered on the applicant's word: the reviewer reads the files at the stage."""
    missing = [e.value for e in asked if e not in uploaded_since]
    if missing:
        return decide([fire("documents.supplied", Outcome.FAILED, missing=", ".join(missing))])
    return decide([fire("documents.supplied", Outcome.PASSED)])
