"""The public platform dashboard: the figures the city reports, as Plotly charts, with CSV download.
No sign-in needed: these are published aggregates, no organisation's own data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from suanli.services import reports
from suanli.web import i18n
from suanli.web.common import OptionalViewerDep, SessionDep, render
from suanli.web.labels import label
from suanli.web.names import display_name

router = APIRouter(include_in_schema=False)


def _bar(x: list[Any], y: list[Any], title: str, axis: str, **layout: Any) -> dict[str, Any]:
    return {"data": [{"type": "bar", "x": x, "y": y, "marker": {"color": "#0b4f9c"}}],
            "layout": {"title": {"text": title}, "yaxis": {"title": {"text": axis}, "automargin": True},
                       "xaxis": {"automargin": True}, **layout}}


def _hbar(names: list[str], values: list[float], title: str, axis: str, **axis_extra: Any) -> dict[str, Any]:
    """Horizontal bars: long center names stay readable instead of being cut on a slanted axis."""
    return {"data": [{"type": "bar", "orientation": "h", "y": names, "x": values, "marker": {"color": "#0b4f9c"}}],
            "layout": {"title": {"text": title}, "xaxis": {"title": {"text": axis}, **axis_extra},
                       "yaxis": {"automargin": True, "autorange": "reversed"}}}


def yuan(fen: int) -> float:
    """Charts plot yuan as numbers; tables keep the exact fen."""
    return round(fen / 100, 2)


def figures(d: reports.Dashboard, lang: str) -> dict[str, dict[str, Any]]:
    _ = i18n.translator(lang)
    zh = lang == "zh_CN"
    names = [display_name(c, lang) for c in d.centers]
    programs = [p.title_zh if zh else p.title_en for p in d.programs]
    return {
        "by_center": _hbar(names, [round(c.device_hours, 3) for c in d.centers], _("Device-hours delivered per center"),
                           _("Device-hours")),
        "by_ecosystem": _bar([_(label(e)) for e in d.ecosystems], [round(v, 3) for v in d.ecosystems.values()],
                             _("Device-hours delivered per ecosystem"), _("Device-hours")),
        "utilisation_now": _hbar(names, [round(c.utilisation * 100, 1) for c in d.centers], _("Utilisation now"),
                                 _("Busy devices (%)"), range=[0, 100]),
        "utilisation_daily": {
            "data": [{"type": "scatter", "mode": "lines+markers", "name": display_name(c, lang),
                      "x": [day.isoformat() for day in d.days], "y": [round(s * 100, 2) for s in d.daily_utilisation.get(c.name, [])]}
                     for c in d.centers],
            "layout": {"title": {"text": _("Utilisation per center per day")},
                       "yaxis": {"title": {"text": _("Device-hours used / available (%)")}}}},
        "subsidy": {
            "data": [{"type": "bar", "orientation": "h", "name": name, "y": programs, "x": [yuan(fen) for fen in amounts]}
                     for name, amounts in ((_("Budget"), [p.budget_fen for p in d.programs]),
                                           (_("Granted"), [p.granted_fen for p in d.programs]),
                                           (_("Redeemed"), [p.redeemed_fen for p in d.programs]))],
            "layout": {"title": {"text": _("Voucher subsidy against budget")}, "barmode": "group",
                       "yaxis": {"automargin": True, "autorange": "reversed"}, "xaxis": {"title": {"text": _("Yuan (¥)")}}}},
    }


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, viewer: OptionalViewerDep) -> Response:
    d = reports.dashboard(session)
    return render(request, "dashboard.html", viewer=viewer, d=d, figures=figures(d, i18n.language(request)))


@router.get("/dashboard.csv")
def dashboard_csv(session: SessionDep) -> Response:
    return Response(reports.dashboard_csv(reports.dashboard(session)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="suanli-dashboard.csv"'})
