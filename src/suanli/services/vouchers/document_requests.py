"""Requests for more documents (需补充材料): a reviewer at the application's current stage asks the
applicant for more evidence, with a reason and the document types wanted; the application waits in
`needs_documents` (no stage can be decided meanwhile) until the applicant's administrator uploads
them and answers, and then returns to the review it left. Both steps are audited, and the notifier
tells the applicant and, when answered, the program officers (`services/notifications/derive.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.vouchers import VoucherApplicationRow, VoucherDocumentRequestRow
from suanli.db.repositories import document_requests as requests_repo
from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import Forbidden, InvalidInput
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers import ReviewAct, VoucherConflict, check_review, raise_review_refusal
from suanli.domain.vouchers.bounds import check_member, check_text
from suanli.domain.vouchers.errors import VoucherNotFound
from suanli.domain.vouchers.program import Evidence, ReviewStage
from suanli.domain.vouchers.review import check_documents_supplied
from suanli.domain.vouchers.rules import Decision
from suanli.services.vouchers.common import audit_event
from suanli.services.vouchers.programs import program_of, program_row
from suanli.services.vouchers.reads import get_application

NEEDS_DOCUMENTS = "needs_documents"
UNDER_REVIEW = ("submitted", "in_review")
REASON_LIMIT = 2000
ANSWERERS = (Role.ORG_ADMIN, Role.PROVIDER_ADMIN)


def _application(session: Session, application_id: int, actor: Principal) -> VoucherApplicationRow:
    """The application, locked; another tenant's is the 404 of a missing one."""
    application = repo.get_application(session, application_id, for_update=True) if 0 < application_id < 2**62 else None
    if application is None or not actor.may_read_organisation(application.organisation_id):
        raise VoucherNotFound(f"application {application_id} does not exist")
    return application


def _who_may_act(session: Session, application: VoucherApplicationRow,
                 actor: Principal) -> tuple[ReviewStage | None, Decision]:
    """The current stage and whether `actor` may act there: the same rules as a decision at the stage
    (its role, not the applicant's own organisation, one person one stage)."""
    program = program_of(program_row(session, application.program_id))
    done = [ReviewAct(r.stage, r.user_id) for r in repo.reviews_of(session, application.id) if r.approve]
    return check_review(program, done=done, actor=actor, applicant_organisation_id=application.organisation_id,
                        approve=False)


def _kinds(kinds: Sequence[str] | None) -> list[str]:
    if kinds is not None and (isinstance(kinds, str) or not isinstance(kinds, (list, tuple))):
        raise InvalidInput("kinds must be a list of document types", field="kinds")
    chosen = [check_member("kinds", k, Evidence).value for k in (kinds or ())]
    return list(dict.fromkeys(chosen))  # in the order asked, each once


def request_documents(session: Session, *, application_id: int, actor: Principal, reason: str,
                      kinds: Sequence[str] | None = None) -> VoucherDocumentRequestRow:
    """A reviewer who may act at the current stage asks for more documents (why, and which types)."""
    reason = (reason or "").strip() if isinstance(reason, str) else reason
    check_text("reason", reason, REASON_LIMIT, required=True)
    wanted = _kinds(kinds)
    application = _application(session, application_id, actor)
    if application.status == NEEDS_DOCUMENTS:
        raise VoucherConflict(f"application {application_id} is already waiting for documents",
                              rule="review.awaiting-documents")
    if application.status not in UNDER_REVIEW:
        raise VoucherConflict(f"application {application_id} is already {application.status}", rule="review.stage")
    stage, verdict = _who_may_act(session, application, actor)
    raise_review_refusal(verdict)
    assert stage is not None
    row = VoucherDocumentRequestRow(application_id=application.id, stage=stage.name, requested_by=actor.user_id,
                                    role=actor.role.value, kinds=wanted, reason=reason, status_before=application.status,
                                    answer="")
    try:
        with session.begin_nested():
            repo.add(session, row)
            session.flush()
    except IntegrityError:  # a second reviewer's request won the race: one open request per application
        raise VoucherConflict(f"application {application_id} is already waiting for documents",
                              rule="review.awaiting-documents") from None
    application.status = NEEDS_DOCUMENTS
    audit_event(session, "voucher.documents_requested", f"voucher_application:{application.id}",
                {"request": row.id, "stage": stage.name, "kinds": wanted, "reason": reason, "by": actor.user_id},
                application.organisation_id)
    session.flush()
    return row


def answer_request(session: Session, *, application_id: int, request_id: int, actor: Principal,
                   answer: str = "") -> VoucherDocumentRequestRow:
    """The applicant's administrator says the documents are in: each type asked for needs a file
    uploaded since the request; the application goes back to the review it left."""
    answer = (answer or "").strip() if isinstance(answer, str) else answer
    check_text("answer", answer, REASON_LIMIT)
    application = _application(session, application_id, actor)
    if actor.organisation_id != application.organisation_id or actor.role not in ANSWERERS:
        raise Forbidden("only the applicant's administrator answers a request for documents")
    request = requests_repo.open_request(session, application.id, for_update=True)
    if request is None or request.id != request_id:
        if not any(r.id == request_id for r in requests_repo.requests_of(session, application.id)):
            raise VoucherNotFound(f"application {application_id} has no document request {request_id}")
        raise VoucherConflict(f"document request {request_id} was already answered", rule="documents.answered")
    uploaded = requests_repo.kinds_uploaded_since(session, application.id, request.created_at)
    check_documents_supplied([Evidence(k) for k in request.kinds],
                             {Evidence(k) for k in uploaded}).raise_if_refused()
    request.answered_at, request.answered_by, request.answer = utcnow(), actor.user_id, answer or ""
    application.status = request.status_before
    audit_event(session, "voucher.documents_supplied", f"voucher_application:{application.id}",
                {"request": request.id, "stage": request.stage, "kinds": list(request.kinds), "by": actor.user_id},
                application.organisation_id)
    session.flush()
    return request


def document_requests(session: Session, *, application_id: int, actor: Principal) -> Sequence[VoucherDocumentRequestRow]:
    """An application's requests for documents, oldest first, for whoever may read the application."""
    return requests_repo.requests_of(session, get_application(session, application_id=application_id, actor=actor).id)


def may_request(session: Session, *, application: VoucherApplicationRow, actor: Principal) -> bool:
    """Would `request_documents` accept this reviewer now? (Pages show the form only then.)"""
    if application.status not in UNDER_REVIEW or not actor.may_read_organisation(application.organisation_id):
        return False
    stage, verdict = _who_may_act(session, application, actor)
    return stage is not None and verdict.allowed


def may_answer(application: VoucherApplicationRow, actor: Principal) -> bool:
    """Is `actor` the applicant's administrator, who uploads evidence and answers requests?"""
    return actor.organisation_id == application.organisation_id and actor.role in ANSWERERS
