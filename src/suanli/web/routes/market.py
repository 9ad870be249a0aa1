"""The compute marketplace (算力市场): centers, their offerings (pools), ecosystems, prices in yuan per
device-hour, free capacity now, green-power share and whether the center is simulated."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from suanli.services import federation, quotes
from suanli.web.common import SessionDep, ViewerDep, render

router = APIRouter(include_in_schema=False)


@router.get("/market")
def market(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    free = {v.pool_id: v.free_devices for v in quotes.pool_views(session)}
    centers = federation.list_centers(session)
    return render(request, "market.html", viewer=viewer, centers=centers, free=free)
