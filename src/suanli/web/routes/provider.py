"""A provider's (算力供给方) own center: offerings and prices, utilisation over time, orders placed on
its pools, and its monthly settlement statements (结算单)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from suanli.domain.organisations import Role
from suanli.services import quotes, reports
from suanli.services.views import provider as views
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, page_names, render, require

router = APIRouter(include_in_schema=False)


@router.get("/provider")
def provider(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.PROVIDER_ADMIN)
    gettext = i18n.translator(i18n.language(request))
    own = views.own_centers(session, principal=viewer)
    centers = own.centers
    names = {c.name for c in centers}
    figures = reports.dashboard(session)
    words = page_names(request, session)
    chart = {"data": [{"type": "scatter", "mode": "lines+markers", "name": words.center(name),
                       "x": [d.isoformat() for d in figures.days], "y": [round(v * 100, 2) for v in shares]}
                      for name, shares in figures.daily_utilisation.items() if name in names],
             "layout": {"title": {"text": gettext("Utilisation per day")},
                        "yaxis": {"title": {"text": gettext("Device-hours used / available (%)")}}}}
    return render(request, "provider.html", viewer=viewer, centers=centers, chart=chart, names=words,
                  now={c.name: c for c in figures.centers if c.name in names},
                  free={v.pool_id: v.free_devices for v in quotes.pool_views(session)},
                  totals=own.totals, orders=own.orders, statements=own.statements)
