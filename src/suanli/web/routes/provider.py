"""A provider's (算力供给方) own center: offerings and prices, utilisation over time, orders placed on
its pools, and its monthly settlement statements (结算单)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from suanli.domain.organisations import Role
from suanli.domain.resources import Ecosystem
from suanli.services import quotes, reports
from suanli.services.views import provider as views
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, page_names, render, require

router = APIRouter(include_in_schema=False)


def _busy(pools: Iterable[Any], free: dict[int, int]) -> list[tuple[str, int, int]]:
    """(kind, busy, total) for accelerator cards and for CPU cores apart: one sum of both would read
    "0 / 26016" for a center of 416 GPUs and 25,600 cores."""
    sums: dict[str, list[int]] = {}
    for pool in pools:
        kind = "cpu" if pool.ecosystem == Ecosystem.CPU.value else "accelerators"
        total = sums.setdefault(kind, [0, 0])
        total[0] += pool.total_devices - free.get(pool.id, pool.total_devices)
        total[1] += pool.total_devices
    return [(kind, busy, total) for kind, (busy, total) in sorted(sums.items())]


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
    free = {v.pool_id: v.free_devices for v in quotes.pool_views(session)}
    return render(request, "provider.html", viewer=viewer, centers=centers, chart=chart, names=words, free=free,
                  busy={c.id: _busy(c.pools, free) for c in centers},
                  totals=own.totals, orders=own.orders, statements=own.statements)
