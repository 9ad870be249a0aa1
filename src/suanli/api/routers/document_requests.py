"""Requests for more documents (需补充材料) on a voucher application over HTTP: a reviewer at the
current stage asks (why, which document types), the applicant's administrator uploads them
(`POST /api/v1/applications/{id}/documents`) and answers; the application meanwhile waits in
`needs_documents`. Every rule is the service's (`services.vouchers.document_requests`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from suanli.api.deps import PrincipalDep, SessionDep, require_roles
from suanli.domain.organisations import Principal, Role
from suanli.services import vouchers as service

router = APIRouter(prefix="/api/v1", tags=["vouchers"])
Reviewer = Annotated[Principal, require_roles(Role.PROGRAM_OFFICER, Role.FINANCE_OFFICER)]
Applicant = Annotated[Principal, require_roles(Role.ORG_ADMIN, Role.PROVIDER_ADMIN)]


class DocumentRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    reason: str = Field(description="why more documents are needed, shown to the applicant")
    kinds: list[str] = Field(default_factory=list, description="document types wanted (evidence kinds); may be empty")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    answer: str = Field(default="", description="the applicant's note to the reviewer")


class DocumentRequestOut(BaseModel):
    id: int
    application_id: int
    stage: str
    kinds: list[str]
    reason: str
    requested_at: datetime
    answered_at: datetime | None
    answer: str
    application_status: str


def _out(row: Any, status: str) -> DocumentRequestOut:
    return DocumentRequestOut(id=row.id, application_id=row.application_id, stage=row.stage, kinds=list(row.kinds),
                              reason=row.reason, requested_at=row.created_at, answered_at=row.answered_at,
                              answer=row.answer, application_status=status)


@router.post("/applications/{application_id}/document-requests", status_code=201, response_model=DocumentRequestOut)
def request_documents(application_id: int, body: DocumentRequestIn, session: SessionDep,
                      reviewer: Reviewer) -> DocumentRequestOut:
    """Ask the applicant for more documents; the application waits in `needs_documents`."""
    row = service.request_documents(session, application_id=application_id, actor=reviewer, reason=body.reason,
                                    kinds=body.kinds)
    return _out(row, "needs_documents")


@router.get("/applications/{application_id}/document-requests", response_model=list[DocumentRequestOut])
def list_document_requests(application_id: int, session: SessionDep, principal: PrincipalDep) -> list[DocumentRequestOut]:
    application = service.get_application(session, application_id=application_id, actor=principal)
    rows = service.document_requests(session, application_id=application_id, actor=principal)
    return [_out(r, application.status) for r in rows]


@router.post("/applications/{application_id}/document-requests/{request_id}/answer", response_model=DocumentRequestOut)
def answer_document_request(application_id: int, request_id: int, body: AnswerIn, session: SessionDep,
                            applicant: Applicant) -> DocumentRequestOut:
    """The documents asked for are uploaded: the application goes back to its review."""
    row = service.answer_request(session, application_id=application_id, request_id=request_id, actor=applicant,
                                 answer=body.answer)
    return _out(row, row.status_before)
