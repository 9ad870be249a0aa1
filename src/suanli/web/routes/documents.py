"""Document downloads (单据下载): an invoice, a provider's settlement statement and a disbursement
batch as PDF, XLSX or CSV, in Chinese with the amounts in yuan (`services.documents`). The read
models decide who may have which document; another organisation's is a 404."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import NotFound
from suanli.services.documents import ledger as documents
from suanli.services.documents.model import Document
from suanli.services.documents.pdf import to_pdf
from suanli.services.documents.sheets import to_csv, to_xlsx
from suanli.web.common import SessionDep, ViewerDep

router = APIRouter(include_in_schema=False)
FORMATS: dict[str, tuple[Callable[[Document], bytes], str]] = {
    "pdf": (to_pdf, "application/pdf"),
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": (to_csv, "text/csv; charset=utf-8"),
}


async def _download(build: Callable[[], Document], fmt: str) -> Response:
    if fmt not in FORMATS:
        raise NotFound(f"no document as {fmt[:10]}")
    render, media = FORMATS[fmt]
    # Database reads and the rendering (a PDF of many lines takes a while) off the event loop.
    doc = await run_in_threadpool(build)
    body = await run_in_threadpool(render, doc)
    name = f"{doc.number}.{fmt}"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"})


@router.get("/invoices/{invoice_id}.{fmt}")
async def invoice(session: SessionDep, viewer: ViewerDep, invoice_id: int, fmt: str) -> Response:
    return await _download(lambda: documents.invoice_document(session, principal=viewer, invoice_id=invoice_id), fmt)


@router.get("/statements/{statement_id}.{fmt}")
async def statement(session: SessionDep, viewer: ViewerDep, statement_id: int, fmt: str) -> Response:
    return await _download(lambda: documents.statement_document(session, principal=viewer, statement_id=statement_id), fmt)


@router.get("/batches/{batch_id}.{fmt}")
async def batch(session: SessionDep, viewer: ViewerDep, batch_id: int, fmt: str) -> Response:
    return await _download(lambda: documents.batch_document(session, principal=viewer, batch_id=batch_id), fmt)


