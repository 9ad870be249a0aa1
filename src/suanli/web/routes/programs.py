"""Program officers (主管部门经办人): programs (load a program file, open and close the window), a
program's budget burn-down with the exhaustion forecast, grants by sector, organisation type and
center, and the disclosure list (公示) export; the application queue with review and approval."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import InvalidInput
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers.disclosure import to_csv, to_xlsx
from suanli.services import vouchers as service
from suanli.services.documents.disclosure import disclosure_document
from suanli.services.documents.pdf import to_pdf
from suanli.services.views import lists
from suanli.services.views import vouchers as views
from suanli.web import i18n
from suanli.web.common import (
    SessionDep,
    ViewerDep,
    form,
    form_int,
    form_yuan,
    page_names,
    render,
    require,
    submit_form,
)
from suanli.web.labels import label
from suanli.web.lists import Links, list_query

router = APIRouter(include_in_schema=False)
OFFICERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)
READERS = (*OFFICERS, Role.FINANCE_OFFICER, Role.AUDITOR)
REVIEWERS = (Role.PROGRAM_OFFICER, Role.FINANCE_OFFICER)


def _title(request: Request, row: Any) -> str:
    return str(row.title_zh) if i18n.language(request) == "zh_CN" else str(row.title_en)


@router.get("/programs")
def programs(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *READERS)
    return programs_page(request, session, viewer)


def programs_page(request: Request, session: Session, viewer: Principal, status: int = 200, **extra: Any) -> Response:
    rows = views.list_programs(session, principal=viewer)
    return render(request, "programs.html", status, viewer=viewer, programs=rows,
                  drafts=service.list_drafts(session, actor=viewer),
                  titles={p.id: _title(request, p) for p in rows}, left={p.id: service.budget_left(p) for p in rows},
                  may_edit=viewer.role in OFFICERS, **extra)


@router.post("/programs")
async def load_program(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """The older form address: a pasted file becomes a draft for a second officer, like an upload."""
    from suanli.web.routes.program_drafts import propose

    return await propose(request, session, viewer)


@router.post("/programs/{program_id}/window")
async def window(request: Request, session: SessionDep, viewer: ViewerDep, program_id: int) -> Response:
    require(viewer, *OFFICERS)
    fields = await form(request)
    return await run_in_threadpool(_window, request, session, viewer, program_id, fields)


def _window(request: Request, session: Session, viewer: Principal, program_id: int, fields: dict[str, str]) -> Response:
    def action() -> str:
        service.set_window(session, program_id=program_id, open=fields.get("open") == "1", actor=viewer)
        return f"/programs/{program_id}"

    def refused(message: str) -> Response:
        return _program_page(request, session, viewer, program_id, 422, error=message)

    return submit_form(request, session, viewer, fields, action, refused)


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
    return _program_page(request, session, viewer, program_id)


def _program_page(request: Request, session: Session, viewer: Principal, program_id: int, code: int = 200,
                  **extra: Any) -> Response:
    gettext = i18n.translator(i18n.language(request))
    row = views.get_program(session, principal=viewer, program_id=program_id)
    result, series = service.forecast(session, program_id=program_id)
    burn: dict[str, Any] = {"data": [{"type": "scatter", "mode": "lines+markers", "name": gettext("Budget left"), "line": {"shape": "hv"},
                      "x": [d.isoformat() for d, _ in series], "y": [round(v / 100, 2) for _, v in series]}],
            "layout": {"title": {"text": gettext("Budget burn-down")}, "yaxis": {"title": {"text": gettext("Yuan (¥)")}}}}
    if result.runs_out_on and series:
        last_day, last_left = series[-1]
        burn["data"].append({"type": "scatter", "mode": "lines", "name": gettext("Forecast"), "line": {"dash": "dot"},
                             "x": [last_day.isoformat(), result.runs_out_on.isoformat()], "y": [round(last_left / 100, 2), 0]})
    facts = views.grant_facts(session, principal=viewer, program_id=program_id)
    names = page_names(request, session)
    none = gettext("No data yet")
    charts = {
        "burn": burn,
        "sector": _pie([(gettext(label(s or "—")), fen) for s, _t, fen in facts], gettext("Grants by sector"), none),
        "type": _pie([(gettext(label(t)), fen) for _s, t, fen in facts], gettext("Grants by organisation type"), none),
        "center": _pie([(names.center(center), fen) for center, fen in
                        views.redeemed_by_provider(session, principal=viewer, program_id=program_id)],
                       gettext("Redemptions by center"), none),
    }
    return render(request, "program.html", code, viewer=viewer, program=row, title=_title(request, row), forecast=result,
                  left=service.budget_left(row), charts=charts, may_edit=viewer.role in OFFICERS,
                  disclosure=service.disclosure(session, program_id=program_id), **extra)


@router.get("/programs/{program_id}/disclosure.{fmt}")
def disclosure(session: SessionDep, viewer: ViewerDep, program_id: int, fmt: str) -> Response:
    require(viewer, *READERS)
    views.get_program(session, principal=viewer, program_id=program_id)
    if fmt == "pdf":  # the printed list, with the issuer and the total (services/documents)
        doc = disclosure_document(session, principal=viewer, program_id=program_id)
        return Response(to_pdf(doc), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="disclosure-{program_id}.pdf"'})
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("the disclosure list comes as pdf, csv or xlsx")
    rows = service.disclosure(session, program_id=program_id)
    if fmt == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="disclosure-{program_id}.csv"'})
    return Response(to_xlsx(rows), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="disclosure-{program_id}.xlsx"'})


@router.post("/programs/{program_id}/publish")
async def publish(request: Request, session: SessionDep, viewer: ViewerDep, program_id: int) -> Response:
    require(viewer, *OFFICERS)
    fields = await form(request)
    return await run_in_threadpool(_publish, request, session, viewer, program_id, fields)


def _publish(request: Request, session: Session, viewer: Principal, program_id: int, fields: dict[str, str]) -> Response:
    def action() -> str:
        views.get_program(session, principal=viewer, program_id=program_id)
        service.disclosure(session, program_id=program_id, actor=viewer, publish=True)
        return f"/programs/{program_id}?published=1"

    def refused(message: str) -> Response:
        return _program_page(request, session, viewer, program_id, 422, error=message)

    return submit_form(request, session, viewer, fields, action, refused)


@router.get("/applications")
def queue(request: Request, session: SessionDep, viewer: ViewerDep, status: str = "pending") -> Response:
    require(viewer, *REVIEWERS, Role.PLATFORM_OPERATOR)
    return _queue_page(request, session, viewer, status)


def _queue_page(request: Request, session: Session, viewer: Principal, status: str, code: int = 200, **extra: Any) -> Response:
    """The queue with search (project, applicant, number), status and program filters, sorting, pages."""
    gettext = i18n.translator(i18n.language(request))
    program_id = form_int(dict(request.query_params), "program", low=1, high=2**62)
    page = lists.applications(session, principal=viewer, status=status[:20], program_id=program_id,
                              query=list_query(request))
    queue = views.queue_of(session, principal=viewer, applications=page.rows)
    programs = {p.id: p for p in views.list_programs(session, principal=viewer)}
    zh = i18n.language(request) == "zh_CN"
    stages = {(pid, stage.name): (stage.actor.zh if zh else stage.actor.en)
              for pid, p in programs.items() for stage in service.program_of(p).review_stages}
    reviewed, stage_name = request.query_params.get("reviewed", ""), request.query_params.get("stage", "")
    if reviewed.isdigit() and "notice" not in extra:
        stage = next((actor for (_pid, name), actor in stages.items() if name == stage_name), None)
        extra["notice"] = (gettext("Application %(id)s: the review of %(stage)s was recorded.") % {"id": reviewed, "stage": stage}
                           if stage else gettext("Application %(id)s: the review was recorded.") % {"id": reviewed})
    return render(request, "applications.html", code, viewer=viewer, applications=queue.applications, status=status,
                  page=page, links=Links(request, page), q=request.query_params.get("q", ""), program=program_id,
                  stages=stages, names=page_names(request, session),
                  titles={k: _title(request, p) for k, p in programs.items()}, orgs=queue.organisations,
                  reviews=queue.reviews, msg_lang="zh" if i18n.language(request) == "zh_CN" else "en", **extra)


@router.post("/applications/{application_id}/review")
async def review(request: Request, session: SessionDep, viewer: ViewerDep, application_id: int) -> Response:
    require(viewer, *REVIEWERS)
    fields = await form(request)
    return await run_in_threadpool(_review, request, session, viewer, application_id, fields)


def _review(request: Request, session: Session, viewer: Principal, application_id: int, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))

    def action() -> str:
        # The decision's closed set and the stage's score range are the service's bounds to enforce.
        score = form_int(fields, "score", low=-(2**31), high=2**31)
        amount = form_yuan(fields["amount_yuan"]) if fields.get("amount_yuan") else None
        act = service.review(session, application_id=application_id, actor=viewer, decision=fields.get("decision", ""),
                             score=score, comment=fields.get("comment", ""), amount_fen=amount)
        return f"/applications?reviewed={application_id}&stage={quote(str(act.stage))}"

    def refused(message: str) -> Response:
        return _queue_page(request, session, viewer, "pending", 422, error=gettext("The review was refused:") + " " + message)

    return submit_form(request, session, viewer, fields, action, refused)
