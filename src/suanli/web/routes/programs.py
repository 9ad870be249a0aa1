"""Program officers (主管部门经办人): programs (load a program file, open and close the window), a
program's budget burn-down with the exhaustion forecast, grants by sector, organisation type and
center, and the disclosure list (公示) export; the application queue with review and approval."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.db.repositories import vouchers as repo
from suanli.db.repositories import web as web_repo
from suanli.domain.errors import InvalidInput, SuanliError
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers.disclosure import to_csv, to_xlsx
from suanli.services import vouchers as service
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, form, form_yuan, problem_text, redirect, render, require
from suanli.web.labels import label

router = APIRouter(include_in_schema=False)
OFFICERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)
READERS = (*OFFICERS, Role.FINANCE_OFFICER, Role.AUDITOR)
REVIEWERS = (Role.PROGRAM_OFFICER, Role.FINANCE_OFFICER)


def _title(request: Request, row: Any) -> str:
    return str(row.title_zh) if i18n.language(request) == "zh_CN" else str(row.title_en)


@router.get("/programs")
def programs(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *READERS)
    return _programs_page(request, session, viewer)


def _programs_page(request: Request, session: SessionDep, viewer: ViewerDep, status: int = 200, **extra: Any) -> Response:
    rows = repo.list_programs(session)
    return render(request, "programs.html", status, viewer=viewer, programs=rows,
                  titles={p.id: _title(request, p) for p in rows}, left={p.id: service.budget_left(p) for p in rows},
                  may_edit=viewer.role in OFFICERS, **extra)


@router.post("/programs")
async def load_program(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *OFFICERS)
    fields = await form(request)
    return await run_in_threadpool(_load_program, request, session, viewer, fields)


def _load_program(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))
    try:
        with session.begin_nested():
            row = service.load_program(session, text=fields.get("text", ""), actor=viewer)
    except SuanliError as exc:
        return _programs_page(request, session, viewer, 422, error=gettext("The program file was refused:") + " " + problem_text(exc.detail, i18n.language(request)),
                              text=fields.get("text", ""))
    return redirect(f"/programs/{row.id}")


@router.post("/programs/{program_id}/window")
async def window(request: Request, session: SessionDep, viewer: ViewerDep, program_id: int) -> Response:
    require(viewer, *OFFICERS)
    fields = await form(request)
    await run_in_threadpool(service.set_window, session, program_id=program_id, open=fields.get("open") == "1", actor=viewer)
    return redirect(f"/programs/{program_id}")


def _by(pairs: list[tuple[str, int]]) -> tuple[list[str], list[float]]:
    totals: dict[str, int] = defaultdict(int)
    for key, fen in pairs:
        totals[key] += fen
    keys = sorted(totals)
    return keys, [round(totals[k] / 100, 2) for k in keys]


def _pie(pairs: list[tuple[str, int]], title: str, empty: str) -> dict[str, Any]:
    keys, values = _by(pairs)
    layout: dict[str, Any] = {"title": {"text": title}}
    if not keys:  # an empty pie draws nothing at all: say so instead
        layout["annotations"] = [{"text": empty, "showarrow": False, "font": {"size": 16}}]
        layout["xaxis"] = layout["yaxis"] = {"visible": False}
    return {"data": [{"type": "pie", "labels": keys, "values": values, "hole": 0.4}], "layout": layout}


@router.get("/programs/{program_id}")
def program(request: Request, session: SessionDep, viewer: ViewerDep, program_id: int) -> Response:
    require(viewer, *READERS)
    gettext = i18n.translator(i18n.language(request))
    row = service._get_program(session, program_id)
    result, series = service.forecast(session, program_id=program_id)
    burn: dict[str, Any] = {"data": [{"type": "scatter", "mode": "lines+markers", "name": gettext("Budget left"), "line": {"shape": "hv"},
                      "x": [d.isoformat() for d, _ in series], "y": [round(v / 100, 2) for _, v in series]}],
            "layout": {"title": {"text": gettext("Budget burn-down")}, "yaxis": {"title": {"text": gettext("Yuan (¥)")}}}}
    if result.runs_out_on and series:
        last_day, last_left = series[-1]
        burn["data"].append({"type": "scatter", "mode": "lines", "name": gettext("Forecast"), "line": {"dash": "dot"},
                             "x": [last_day.isoformat(), result.runs_out_on.isoformat()], "y": [round(last_left / 100, 2), 0]})
    facts = web_repo.grant_facts(session, program_id)
    none = gettext("No data yet")
    charts = {
        "burn": burn,
        "sector": _pie([(gettext(label(s or "—")), fen) for s, _t, fen in facts], gettext("Grants by sector"), none),
        "type": _pie([(gettext(label(t)), fen) for _s, t, fen in facts], gettext("Grants by organisation type"), none),
        "center": _pie(web_repo.redeemed_by_provider(session, program_id), gettext("Redemptions by center"), none),
    }
    return render(request, "program.html", viewer=viewer, program=row, title=_title(request, row), forecast=result,
                  left=service.budget_left(row), charts=charts, may_edit=viewer.role in OFFICERS,
                  disclosure=service.disclosure(session, program_id=program_id))


@router.get("/programs/{program_id}/disclosure.{fmt}")
def disclosure(session: SessionDep, viewer: ViewerDep, program_id: int, fmt: str) -> Response:
    require(viewer, *READERS)
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("the disclosure list comes as csv or xlsx")
    rows = service.disclosure(session, program_id=program_id)
    if fmt == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="disclosure-{program_id}.csv"'})
    return Response(to_xlsx(rows), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="disclosure-{program_id}.xlsx"'})


@router.post("/programs/{program_id}/publish")
async def publish(request: Request, session: SessionDep, viewer: ViewerDep, program_id: int) -> Response:
    require(viewer, *OFFICERS)
    await form(request)
    await run_in_threadpool(service.disclosure, session, program_id=program_id, actor=viewer, publish=True)
    return redirect(f"/programs/{program_id}?published=1")


@router.get("/applications")
def queue(request: Request, session: SessionDep, viewer: ViewerDep, status: str = "pending") -> Response:
    require(viewer, *REVIEWERS, Role.PLATFORM_OPERATOR)
    return _queue_page(request, session, viewer, status)


def _queue_page(request: Request, session: SessionDep, viewer: ViewerDep, status: str, code: int = 200, **extra: Any) -> Response:
    if status == "pending":
        rows = [*repo.list_applications(session, status="submitted", limit=200),
                *repo.list_applications(session, status="in_review", limit=200)]
    else:
        rows = list(repo.list_applications(session, status=status or None, limit=200))
    rows.sort(key=lambda a: (not a.priority, a.id))
    programs = {p.id: p for p in repo.list_programs(session)}
    orgs = web_repo.organisation_names(session, [a.organisation_id for a in rows])
    reviews = {a.id: repo.reviews_of(session, a.id) for a in rows}
    return render(request, "applications.html", code, viewer=viewer, applications=rows, status=status,
                  titles={k: _title(request, p) for k, p in programs.items()}, orgs=orgs, reviews=reviews,
                  msg_lang="zh" if i18n.language(request) == "zh_CN" else "en", **extra)


@router.post("/applications/{application_id}/review")
async def review(request: Request, session: SessionDep, viewer: ViewerDep, application_id: int) -> Response:
    require(viewer, *REVIEWERS)
    fields = await form(request)
    return await run_in_threadpool(_review, request, session, viewer, application_id, fields)


def _review(request: Request, session: Session, viewer: Principal, application_id: int, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))
    try:
        score = int(fields["score"]) if fields.get("score") else None
        amount = form_yuan(fields["amount_yuan"]) if fields.get("amount_yuan") else None
        with session.begin_nested():
            act = service.review(session, application_id=application_id, actor=viewer, approve=fields.get("decision") == "approve",
                                 score=score, comment=fields.get("comment", "")[:2000], amount_fen=amount)
    except (SuanliError, ValueError) as exc:
        detail = problem_text(exc.detail if isinstance(exc, SuanliError) else str(exc), i18n.language(request))
        return _queue_page(request, session, viewer, "pending", 422, error=gettext("The review was refused:") + " " + detail)
    message = gettext("Application %(id)s: stage %(stage)s recorded.") % {"id": application_id, "stage": act.stage}
    return _queue_page(request, session, viewer, "pending", notice=message)
