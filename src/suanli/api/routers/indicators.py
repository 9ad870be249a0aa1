"""Industry indicators (产业指标): the public overview and XLSX export; the bureau loads the indicator
file and enters or imports figures per period."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response
from pydantic import Field

from suanli.api.deps import PrincipalDep, SessionDep
from suanli.api.schemas import Body
from suanli.services import indicators as service

router = APIRouter(prefix="/api/v1", tags=["indicators"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FileIn(Body):
    text: str = Field(max_length=500_000)


class FigureIn(Body):
    code: str = Field(max_length=63)
    period: str = Field(max_length=16)
    value: Decimal
    source: str = Field(default="", max_length=2000)


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@router.get("/indicators")
def overview(session: SessionDep) -> list[dict[str, Any]]:
    return [{"code": v.row.code, "name": {"zh": v.row.name_zh, "en": v.row.name_en},
             "unit": {"zh": v.row.unit_zh, "en": v.row.unit_en}, "period": v.row.period, "source": v.row.source,
             "computed_by_platform": v.row.platform_metric is not None,
             "years": [{"year": y.year, "target": _num(y.target), "value": _num(y.value), "period": y.period,
                        "progress": _num(y.progress), "yoy": _num(y.yoy)} for y in v.years]}
            for v in service.overview(session)]


@router.get("/indicators.xlsx")
def export(session: SessionDep) -> Response:
    return Response(service.export_xlsx(service.overview(session)), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="indicators.xlsx"'})


@router.put("/indicators")
def load_file(body: FileIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    rows = service.load_indicator_file(session, actor=principal, text=body.text)
    return {"codes": [r.code for r in rows]}


@router.post("/indicator-figures", status_code=201)
def enter_figure(body: FigureIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row = service.enter_figure(session, actor=principal, code=body.code, period=body.period, value=body.value,
                               source=body.source)
    return {"code": body.code, "period": row.period, "value": str(row.value), "entered_by": row.entered_by,
            "entered_at": row.created_at.isoformat()}


@router.post("/indicator-figures/import", status_code=201)
async def import_figures(session: SessionDep, principal: PrincipalDep,
                         file: Annotated[UploadFile, File(description="指标代码, 期间, 数值, 来源")]) -> dict[str, Any]:
    data = await file.read(service.MAX_SHEET_BYTES + 1)  # one past the cap: the service refuses it with 413
    rows = service.import_figures(session, actor=principal, data=data, filename=file.filename or "")
    return {"imported": len(rows)}
