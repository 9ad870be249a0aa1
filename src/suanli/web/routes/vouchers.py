"""An organisation's compute vouchers (算力券): open programs and the apply form, its applications with
the rules that fired, wallets (granted, held, redeemed, balance) and redemptions with audit receipts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import InvalidInput
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers import Side
from suanli.services import vouchers as service
from suanli.services.views import vouchers as views
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, form, form_yuan, page_names, render, require, submit_form

router = APIRouter(include_in_schema=False)
APPLICANTS = (Role.ORG_ADMIN, Role.PROVIDER_ADMIN)


def _page(request: Request, session: Session, viewer: Principal, status: int = 200, **extra: object) -> Response:
    own = views.own_vouchers(session, principal=viewer)
    gettext = i18n.translator(i18n.language(request))
    applied = request.query_params.get("applied", "")
    if applied.isdigit() and "notice" not in extra:
        extra["notice"] = gettext("Application %(id)s submitted.") % {"id": applied}
    return render(request, "vouchers.html", status, viewer=viewer, programs=own.programs,
                  open_programs=[p for p in own.programs if p.status == "open"],
                  titles={p.id: (p.title_zh if i18n.language(request) == "zh_CN" else p.title_en) for p in own.programs},
                  applications=own.applications, wallets=own.wallets, redemptions=own.redemptions,
                  receipt_places=own.receipt_places,
                  msg_lang="zh" if i18n.language(request) == "zh_CN" else "en", names=page_names(request, session), **extra)


@router.get("/vouchers")
def vouchers_page(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *APPLICANTS, Role.ORG_MEMBER)
    return _page(request, session, viewer)


@router.post("/vouchers/apply")
async def apply(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *APPLICANTS)
    fields = await form(request)
    return await run_in_threadpool(_apply, request, session, viewer, fields)


def _apply(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))

    def action() -> str:
        program = fields.get("program_id") or ""
        if not program.isdigit() or len(program) > 18:
            raise InvalidInput("program_id must be a whole number", field="program_id")
        # The project's text goes to the service as typed: a bound is the service's to enforce, never
        # a silent cut here.
        command = service.ApplyCommand(
            program_id=int(program), project=fields.get("project", "").strip(),
            requested_fen=form_yuan(fields.get("amount_yuan", "")), side=Side.DEMAND,
            project_class=fields.get("project_class") or None, sector=fields.get("sector") or None)
        if not command.project:
            raise InvalidInput("name the project", field="project")
        application = service.apply(session, command=command, actor=viewer)
        return f"/vouchers?applied={application.id}"

    def refused(message: str) -> Response:
        return _page(request, session, viewer, 422, error=gettext("The application was refused:") + " " + message,
                     values=fields)

    return submit_form(request, session, viewer, fields, action, refused)
