"""One voucher application (申领详情) for its applicant and the officers: the applicant's profile, the
rules that fired in words, the evidence it cites, each review stage's score, opinion and actor, and
the granted amount. Another organisation's application is a 404 page (the read model's scope)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from suanli.services.views import applications as views
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, page_names, render

router = APIRouter(include_in_schema=False)


@router.get("/applications/{application_id}")
def application_page(request: Request, session: SessionDep, viewer: ViewerDep, application_id: int) -> Response:
    detail = views.application_detail(session, principal=viewer, application_id=application_id)
    zh = i18n.language(request) == "zh_CN"
    return render(request, "application.html", viewer=viewer, d=detail, a=detail.application, org=detail.applicant,
                  title=detail.program.title_zh if zh else detail.program.title_en, msg_lang="zh" if zh else "en",
                  stage_names={s.stage.name: s.stage.actor.zh if zh else s.stage.actor.en for s in detail.stages},
                  names=page_names(request, session))
