"""The AI opportunity list (机会清单) pages: the public board with Chinese search, an item with its
matching request form and one-step quote for compute demand, and the bureau's batch desk (create,
import the sheet, submit, publish or return, export)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import SuanliError
from suanli.domain.opportunities import ItemKind, ItemStatus, Track
from suanli.domain.opportunities.table import MAX_SHEET_BYTES
from suanli.domain.organisations import Principal, Role
from suanli.services import opportunities as service
from suanli.web import i18n
from suanli.web.common import (
    OptionalViewerDep,
    SessionDep,
    ViewerDep,
    error_text,
    form,
    form_with_file,
    redirect,
    render,
    require,
)
from suanli.web.i18n import N_

router = APIRouter(include_in_schema=False)
OFFICERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)
ORGS = (Role.ORG_ADMIN, Role.ORG_MEMBER, Role.PROVIDER_ADMIN)
LABELS = {
    "supply": N_("Supply"), "demand": N_("Demand"), "compute": N_("Compute"), "datasets": N_("Datasets and corpora"),
    "hardware": N_("Base hardware"), "models": N_("Models"), "devices": N_("Smart devices"),
    "applications": N_("AI applications"), "open": N_("Open"), "closed": N_("Closed"), "draft": N_("Draft"),
    "in_review": N_("In review"), "published": N_("Published"), "requested": N_("Matching requested"),
    "accepted": N_("Accepted"), "declined": N_("Declined"), "withdrawn": N_("Withdrawn"),
    "concluded": N_("Concluded"), "signed": N_("Signed"), "pilot": N_("Pilot"), "no_deal": N_("No deal"),
}


def _page(request: Request, template: str, viewer: Principal | None, http_status: int = 200, **context: Any) -> Response:
    gettext = i18n.translator(i18n.language(request))
    return render(request, template, http_status, viewer=viewer, olabel=lambda v: gettext(LABELS.get(v or "", v or "")),
                  kinds=list(ItemKind), tracks=list(Track), statuses=list(ItemStatus), **context)


@router.get("/opportunities")
def board(request: Request, session: SessionDep, viewer: OptionalViewerDep, q: str = "", kind: str = "",
          track: str = "", status: str = "", offset: int = 0) -> Response:
    error: str | None = None
    try:
        found = service.search(session, query=q[:200], kind=kind or None, track=track or None, status=status or None,
                               offset=max(offset, 0), limit=50)
    except SuanliError as exc:
        found, error = service.search(session), error_text(exc, i18n.language(request))
    batches = service.list_batches(session, principal=viewer)
    return _page(request, "opportunities/board.html", viewer, 422 if error else 200, found=found, q=q, kind=kind,
                 track=track, status=status, summary=service.summary(session), error=error,
                 batches=[b for b in batches if b.status == "published"], offset=max(offset, 0))


def _item_page(request: Request, session: Session, viewer: Principal | None, item_id: int, status: int = 200,
               **extra: Any) -> Response:
    item = service.get_item(session, principal=viewer, item_id=item_id)
    matches = service.list_matches(session, principal=viewer, item_id=item_id) if viewer else []
    return _page(request, "opportunities/item.html", viewer, status, item=item, matches=matches,
                 may_match=viewer is not None and viewer.role in ORGS and item.status == "open"
                 and item.issuer_organisation_id != viewer.organisation_id,
                 may_quote=viewer is not None and viewer.role in ORGS and item.compute_devices is not None,
                 msg_lang="zh" if i18n.language(request) == "zh_CN" else "en", **extra)


@router.get("/opportunities/{item_id:int}")
def item(request: Request, session: SessionDep, viewer: OptionalViewerDep, item_id: int) -> Response:
    return _item_page(request, session, viewer, item_id)


@router.post("/opportunities/{item_id:int}/match")
async def match(request: Request, session: SessionDep, viewer: ViewerDep, item_id: int) -> Response:
    fields = await form(request)
    return await run_in_threadpool(_match, request, session, viewer, item_id, fields)


def _match(request: Request, session: Session, viewer: Principal, item_id: int, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))
    try:
        with session.begin_nested():
            service.request_match(session, actor=viewer, item_id=item_id, message=fields.get("message", "")[:2000])
    except SuanliError as exc:
        return _item_page(request, session, viewer, item_id, exc.status,
                          error=error_text(exc, i18n.language(request)))
    return _item_page(request, session, viewer, item_id, notice=gettext("Your matching request was sent."))


@router.post("/opportunities/{item_id:int}/quote")
async def quote(request: Request, session: SessionDep, viewer: ViewerDep, item_id: int) -> Response:
    await form(request)
    return await run_in_threadpool(_quote, request, session, viewer, item_id)


def _quote(request: Request, session: Session, viewer: Principal, item_id: int) -> Response:
    try:
        result = service.quote_item(session, principal=viewer, item_id=item_id)
    except SuanliError as exc:
        return _item_page(request, session, viewer, item_id, exc.status,
                          error=error_text(exc, i18n.language(request)))
    return _item_page(request, session, viewer, item_id, quote=result.as_dict())


# --- the bureau's batch desk ------------------------------------------------------------------------------


def _desk(request: Request, session: Session, viewer: Principal, status: int = 200, **extra: Any) -> Response:
    batches = service.list_batches(session, principal=viewer)
    counts = {b.id: len(service.batch_items(session, principal=viewer, batch_id=b.id)) for b in batches}
    return _page(request, "opportunities/batches.html", viewer, status, batches=batches, counts=counts, **extra)


@router.get("/opportunities/batches")
def batches(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *OFFICERS)
    return _desk(request, session, viewer)


@router.post("/opportunities/batches")
async def batch_action(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *OFFICERS)
    fields, file = await form_with_file(request, max_bytes=MAX_SHEET_BYTES)
    return await run_in_threadpool(_batch_action, request, session, viewer, fields, file.data, file.filename)


def _batch_action(request: Request, session: Session, viewer: Principal, fields: dict[str, str], content: bytes,
                  filename: str) -> Response:
    gettext = i18n.translator(i18n.language(request))
    action = fields.get("action", "")
    try:
        with session.begin_nested():
            batch_id = int(fields["batch_id"]) if fields.get("batch_id", "").isdigit() else 0
            if action == "create":
                service.create_batch(session, actor=viewer, title=fields.get("title", ""))
            elif action == "import":
                rows = service.import_items(session, actor=viewer, batch_id=batch_id, data=content, filename=filename)
                notice = gettext("%(n)s items imported.") % {"n": len(rows)}
                return _desk(request, session, viewer, notice=notice)
            elif action == "submit":
                service.submit_batch(session, actor=viewer, batch_id=batch_id)
            elif action in ("publish", "return"):
                service.review_batch(session, actor=viewer, batch_id=batch_id, decision=action,  # type: ignore[arg-type]
                                     note=fields.get("note", ""))
    except SuanliError as exc:
        return _desk(request, session, viewer, exc.status, error=error_text(exc, i18n.language(request)))
    return redirect("/opportunities/batches")


@router.get("/opportunities/batches/{batch_id:int}.{fmt}")
def export(session: SessionDep, viewer: OptionalViewerDep, batch_id: int, fmt: str) -> Response:
    data = service.export_batch(session, principal=viewer, batch_id=batch_id, fmt=fmt)
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx" else "text/csv; charset=utf-8"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="opportunities-{batch_id}.{fmt}"'})
