"""An organisation's compute vouchers (算力券): open programs and the apply form, its applications with
the rules that fired, wallets (granted, held, redeemed, balance) and redemptions with audit receipts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.db.repositories import vouchers as repo
from suanli.domain.errors import InvalidInput, SuanliError
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers import Side
from suanli.services import vouchers as service
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, form, form_yuan, problem_text, render, require

router = APIRouter(include_in_schema=False)
APPLICANTS = (Role.ORG_ADMIN, Role.PROVIDER_ADMIN)


def _page(request: Request, session: SessionDep, viewer: ViewerDep, status: int = 200, **extra: object) -> Response:
    org = viewer.organisation_id
    programs = repo.list_programs(session)
    return render(request, "vouchers.html", status, viewer=viewer, programs=programs,
                  open_programs=[p for p in programs if p.status == "open"],
                  titles={p.id: (p.title_zh if i18n.language(request) == "zh_CN" else p.title_en) for p in programs},
                  applications=repo.list_applications(session, organisation_id=org, limit=200),
                  wallets=repo.list_wallets(session, organisation_id=org),
                  redemptions=repo.list_redemptions(session, organisation_id=org, limit=200),
                  msg_lang="zh" if i18n.language(request) == "zh_CN" else "en", **extra)


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
    try:
        command = service.ApplyCommand(
            program_id=int(fields.get("program_id") or 0), project=fields.get("project", "").strip()[:500],
            requested_fen=form_yuan(fields.get("amount_yuan", "")), side=Side.DEMAND,
            project_class=fields.get("project_class") or None, sector=fields.get("sector") or None)
        if not command.project:
            raise InvalidInput("name the project")
        with session.begin_nested():
            application = service.apply(session, command=command, actor=viewer)
    except (SuanliError, ValueError) as exc:
        detail = problem_text(exc.detail if isinstance(exc, SuanliError) else str(exc), i18n.language(request))
        return _page(request, session, viewer, 422, error=gettext("The application was refused:") + " " + detail,
                     values=fields)
    return _page(request, session, viewer, notice=gettext("Application %(id)s submitted.") % {"id": application.id})
