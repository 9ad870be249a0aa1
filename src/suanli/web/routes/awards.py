"""Award pages: the officer's award desk (items with their sources, decided claims with the rules that
fired, the form to decide a claim after review) and an organisation's policy matches (政策计算器:
which items it is likely eligible for, what it would receive and why)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import SuanliError
from suanli.domain.organisations import Principal, Role
from suanli.services import awards as service
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, form, problem_text, render, require, yuan

router = APIRouter(include_in_schema=False)
OFFICERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)


def _desk(request: Request, session: Session, viewer: Principal, http_status: int = 200, **extra: Any) -> Response:
    return render(request, "awards/desk.html", http_status, viewer=viewer, items=service.list_items(session),
                  decided=service.list_decided(session), zh=i18n.language(request) == "zh_CN", **extra)


@router.get("/awards")
def desk(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *OFFICERS)
    return _desk(request, session, viewer)


@router.post("/awards")
async def decide(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *OFFICERS)
    fields = await form(request)
    return await run_in_threadpool(_decide, request, session, viewer, fields)


def _decide(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))
    try:
        with session.begin_nested():
            org = service.organisation_by_name(session, fields.get("organisation", "").strip())
            row = service.apply(session, actor=viewer, organisation_id=org, item_code=fields.get("item", ""),
                                year=int(fields.get("year", "0") or 0), basis=fields.get("basis", "").strip(),
                                evidence=frozenset(e.strip() for e in fields.get("evidence", "").split(",") if e.strip()),
                                level=fields.get("level") or None)
    except SuanliError as exc:
        return _desk(request, session, viewer, exc.status, error=problem_text(exc.detail, i18n.language(request)),
                     form=fields)
    return _desk(request, session, viewer, notice=gettext("Award decided: %(amount)s") % {"amount": yuan(row.amount_fen)})


@router.get("/awards/matches")
def matches(request: Request, session: SessionDep, viewer: ViewerDep, year: int = 2024) -> Response:
    require(viewer, Role.ORG_ADMIN, Role.ORG_MEMBER)
    found = service.calculator(session, principal=viewer, organisation_id=viewer.organisation_id, year=year)
    return render(request, "awards/matches.html", viewer=viewer, matches=found, year=year,
                  zh=i18n.language(request) == "zh_CN")
