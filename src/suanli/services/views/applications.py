"""One voucher application as its page shows it (申领详情): the applicant's profile, the program and
its review stages, each stage's act (score, opinion, who), and the grant. The applicant's own
organisation and the roles that see every tenant read it; for anyone else it does not exist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.db.models.organisations import OrganisationRow
from suanli.db.models.vouchers import (
    VoucherApplicationRow,
    VoucherDocumentRequestRow,
    VoucherDocumentRow,
    VoucherGrantRow,
    VoucherProgramRow,
    VoucherReviewRow,
)
from suanli.db.repositories import vouchers as repo
from suanli.db.repositories import web as web_repo
from suanli.domain.organisations import Principal
from suanli.domain.vouchers.errors import VoucherNotFound
from suanli.domain.vouchers.program import ReviewStage
from suanli.services.vouchers.document_requests import document_requests, may_answer, may_request
from suanli.services.vouchers.documents import OPEN_APPLICATION, list_documents
from suanli.services.vouchers.programs import program_of
from suanli.services.vouchers.reads import get_application


@dataclass
class StageAct:
    """A review stage of the program and what was done there (None while it awaits its turn)."""

    stage: ReviewStage
    review: VoucherReviewRow | None
    reviewer: str | None


@dataclass
class ApplicationDetail:
    application: VoucherApplicationRow
    applicant: OrganisationRow
    applied_by: str
    program: VoucherProgramRow
    stages: Sequence[StageAct]
    grant: VoucherGrantRow | None
    documents: Sequence[VoucherDocumentRow] = ()  # the uploaded evidence files (issue 14)
    requests: Sequence[DocumentRequest] = ()  # reviewers' requests for more documents (需补充材料), oldest first
    may_request: bool = False  # the viewer may ask for more documents now
    may_upload: bool = False  # the viewer is the applicant's administrator and the application is open
    open_request: DocumentRequest | None = None  # the request the application waits on


@dataclass
class DocumentRequest:
    row: VoucherDocumentRequestRow
    requested_by: str
    answered_by: str | None


def application_detail(session: Session, *, principal: Principal, application_id: int) -> ApplicationDetail:
    if not 0 < application_id < 2**62:
        raise VoucherNotFound(f"application {application_id} does not exist")
    application = get_application(session, application_id=application_id, actor=principal)
    program = repo.get_program(session, application.program_id)
    assert program is not None  # a foreign key
    reviews = {r.stage: r for r in repo.reviews_of(session, application.id)}
    people = web_repo.usernames(session, [r.user_id for r in reviews.values()] + [application.applicant_user_id])
    stages = [StageAct(stage, reviews.get(stage.name), people.get(reviews[stage.name].user_id) if stage.name in reviews else None)
              for stage in program_of(program).review_stages]
    applicant = web_repo.organisation_names(session, [application.organisation_id])[application.organisation_id]
    asked = document_requests(session, application_id=application.id, actor=principal)
    names = web_repo.usernames(session, [r.requested_by for r in asked] + [r.answered_by for r in asked if r.answered_by])
    requests = [DocumentRequest(r, names.get(r.requested_by, ""), names.get(r.answered_by) if r.answered_by else None)
                for r in asked]
    return ApplicationDetail(application, applicant, people.get(application.applicant_user_id, ""), program, stages,
                             repo.grant_of(session, application.id),
                             list_documents(session, actor=principal, application_id=application.id), requests,
                             may_request(session, application=application, actor=principal),
                             may_answer(application, principal) and application.status in OPEN_APPLICATION,
                             next((r for r in requests if r.row.answered_at is None), None))
