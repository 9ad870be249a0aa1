"""Industry indicator pages: the public page (progress against target per indicator, as Plotly charts
and tables, XLSX download) and the officer's page (the same for every indicator, with the form to enter
a figure, the sheet import and the entry history: who entered what and when)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import SuanliError
from suanli.domain.organisations import Principal, Role
from suanli.services import indicators as service
from suanli.web import i18n
from suanli.web.common import (
    OptionalViewerDep,
    SessionDep,
    ViewerDep,
    error_text,
    form_with_file,
    render,
    require,
)

router = APIRouter(include_in_schema=False)
OFFICERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)


def figure(view: service.IndicatorView, lang: str) -> dict[str, Any]:
    _ = i18n.translator(lang)
    zh = lang == "zh_CN"
    years = [str(y.year) for y in view.years]
    unit = view.row.unit_zh if zh else view.row.unit_en
    data: list[dict[str, Any]] = [{"type": "bar", "name": _("Actual"), "x": years, "marker": {"color": "#0b4f9c"},
                                   "y": [float(y.value) if y.value is not None else None for y in view.years]}]
    if any(y.target is not None for y in view.years):
        data.append({"type": "scatter", "mode": "markers+lines", "name": _("Target"), "x": years,
                     "y": [float(y.target) if y.target is not None else None for y in view.years],
                     "connectgaps": True, "marker": {"color": "#c0392b", "size": 10}, "line": {"dash": "dot"}})
    return {"data": data, "layout": {"title": {"text": view.row.name_zh if zh else view.row.name_en},
                                     "yaxis": {"title": {"text": unit}, "automargin": True, "rangemode": "tozero"},
                                     "xaxis": {"type": "category"}, "legend": {"orientation": "h"}}}


def num(value: Decimal | None) -> str:
    """1500.0000 -> "1,500"; 0.5000 -> "0.5" (never an exponent)."""
    if value is None:
        return "—"
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _page(request: Request, session: Session, viewer: Principal | None, *, officer: bool, http_status: int = 200,
          **extra: Any) -> Response:
    views = service.overview(session, public_only=not officer)
    lang = i18n.language(request)
    return render(request, "indicators/page.html", http_status, viewer=viewer, views=views, officer=officer,
                  figures={v.row.code: figure(v, lang) for v in views}, num=num, zh=lang == "zh_CN", **extra)


@router.get("/indicators")
def public(request: Request, session: SessionDep, viewer: OptionalViewerDep) -> Response:
    return _page(request, session, viewer, officer=False)


@router.get("/indicators/manage")
def manage(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *OFFICERS)
    return _page(request, session, viewer, officer=True)


@router.post("/indicators/manage")
async def manage_post(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *OFFICERS)
    fields, file = await form_with_file(request, max_bytes=service.MAX_SHEET_BYTES)
    return await run_in_threadpool(_manage_post, request, session, viewer, fields, file.data, file.filename)


def _manage_post(request: Request, session: Session, viewer: Principal, fields: dict[str, str], content: bytes,
                 filename: str) -> Response:
    gettext = i18n.translator(i18n.language(request))
    try:
        with session.begin_nested():
            if fields.get("action") == "import":
                rows = service.import_figures(session, actor=viewer, data=content, filename=filename)
                notice = gettext("%(n)s figures imported.") % {"n": len(rows)}
            else:
                service.enter_figure(session, actor=viewer, code=fields.get("code", ""), period=fields.get("period", ""),
                                     value=fields.get("value", ""), source=fields.get("source", ""))
                notice = gettext("The figure was recorded.")
    except SuanliError as exc:
        return _page(request, session, viewer, officer=True, http_status=exc.status,
                     error=error_text(exc, i18n.language(request)), form=fields)
    return _page(request, session, viewer, officer=True, notice=notice)


@router.get("/indicators.xlsx")
def export(session: SessionDep, viewer: OptionalViewerDep) -> Response:
    officer = viewer is not None and viewer.role in OFFICERS
    return Response(service.export_xlsx(service.overview(session, public_only=not officer)),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="suanli-indicators.xlsx"'})
