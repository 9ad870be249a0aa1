"""One voucher application (申领详情) for its applicant and the officers: the applicant's profile, the
rules that fired in words, the evidence it cites and the files uploaded, each review stage's score,
opinion and actor, the granted amount, and the reviewers' requests for more documents (需补充材料):
a reviewer at the current stage asks here, the applicant's administrator uploads and answers here.
Another organisation's application is a 404 page (the read model's scope)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.organisations import Principal
from suanli.domain.vouchers.program import Evidence
from suanli.services import vouchers as service
from suanli.services.views import applications as views
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, form, form_with_file, page_names, render, submit_form

router = APIRouter(include_in_schema=False)
DONE = {"requested": i18n.N_("The request for more documents was sent to the applicant."),
        "uploaded": i18n.N_("The document was uploaded."),
        "answered": i18n.N_("The documents were supplied; the review goes on.")}


@router.get("/applications/{application_id}")
def application_page(request: Request, session: SessionDep, viewer: ViewerDep, application_id: int) -> Response:
    done = request.query_params.get("done", "")
    notice = i18n.translator(i18n.language(request))(DONE[done]) if done in DONE else None
    return _page(request, session, viewer, application_id, notice=notice)


def _page(request: Request, session: Session, viewer: Principal, application_id: int, code: int = 200,
          **extra: Any) -> Response:
    detail = views.application_detail(session, principal=viewer, application_id=application_id)
    zh = i18n.language(request) == "zh_CN"
    return render(request, "application.html", code, viewer=viewer, d=detail, a=detail.application, org=detail.applicant,
                  title=detail.program.title_zh if zh else detail.program.title_en, msg_lang="zh" if zh else "en",
                  stage_names={s.stage.name: s.stage.actor.zh if zh else s.stage.actor.en for s in detail.stages},
                  evidence_kinds=[e.value for e in Evidence], names=page_names(request, session), **extra)


def _act(request: Request, session: Session, viewer: Principal, application_id: int, fields: dict[str, str],
         action: Any, done: str) -> Response:
    """Run one of the page's forms through the service; refused: the page again with the message."""
    gettext = i18n.translator(i18n.language(request))

    def write() -> str:
        action()
        return f"/applications/{application_id}?done={done}"

    def refused(message: str) -> Response:
        return _page(request, session, viewer, application_id, 422, error=gettext("Refused:") + " " + message)

    return submit_form(request, session, viewer, fields, write, refused)


@router.post("/applications/{application_id}/document-requests")
async def request_documents(request: Request, session: SessionDep, viewer: ViewerDep, application_id: int) -> Response:
    fields = await form(request)
    kinds = [k for k in (e.value for e in Evidence) if fields.get(f"kind_{k}")]
    return await run_in_threadpool(_act, request, session, viewer, application_id, fields, lambda: service.request_documents(
        session, application_id=application_id, actor=viewer, reason=fields.get("reason", ""), kinds=kinds), "requested")


@router.post("/applications/{application_id}/document-requests/{request_id}/answer")
async def answer_request(request: Request, session: SessionDep, viewer: ViewerDep, application_id: int,
                         request_id: int) -> Response:
    fields = await form(request)
    return await run_in_threadpool(_act, request, session, viewer, application_id, fields, lambda: service.answer_request(
        session, application_id=application_id, request_id=request_id, actor=viewer, answer=fields.get("answer", "")),
        "answered")


@router.post("/applications/{application_id}/documents")
async def upload_document(request: Request, session: SessionDep, viewer: ViewerDep, application_id: int) -> Response:
    settings = request.app.state.settings
    fields, file = await form_with_file(request, max_bytes=settings.max_document_bytes)
    upload = service.Upload(kind=fields.get("kind", ""), filename=file.filename, content_type=file.content_type,
                            data=file.data, application_id=application_id)
    return await run_in_threadpool(_act, request, session, viewer, application_id, fields, lambda: service.upload_document(
        session, upload=upload, actor=viewer, data_dir=settings.data_dir, max_bytes=settings.max_document_bytes),
        "uploaded")
