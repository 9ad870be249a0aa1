"""The auditor's pages (审计方): the latest signed tree head, the public key, recent events of the
transparency log, and a receipt (回执) checked in the browser itself (static/verify.js: canonical
JSON, SHA-256 Merkle inclusion per RFC 9162 and the Ed25519 head signature via WebCrypto), so the
check does not rely on the server's word."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from suanli.domain.audit.signing import raw_public_key
from suanli.services import audit as service
from suanli.services.views import audit as views
from suanli.services.views import lists
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, render
from suanli.web.lists import Links, list_query
from suanli.web.names import Names

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_log(request: Request, session: SessionDep, viewer: ViewerDep, kind: str = "") -> Response:
    """The latest signed head (the sequencer signs one about every second; a page view signs nothing),
    and the events (newest first) with search (number, subject as shown), a kind filter and pages."""
    signer = service.init_signer(request.app.state.settings.data_dir)
    head, unsigned = service.head_status(session, signer=signer)
    query = list_query(request)
    lang = i18n.language(request)
    subjects = Names(i18n.translator(lang), lang).subjects_named(query.search)
    page = lists.audit_events(session, principal=viewer, kind=kind, query=query, subjects=subjects)
    return render(request, "audit.html", viewer=viewer, head=head.to_dict(), unsigned=unsigned, key_hex=raw_public_key(signer.public_key).hex(),
                  events=page.rows, page=page, links=Links(request, page), kind=kind, q=request.query_params.get("q", ""),
                  kinds=lists.audit_kinds(session, principal=viewer))


@router.get("/audit/receipt/{seq}")
def receipt(request: Request, session: SessionDep, viewer: ViewerDep, seq: int) -> Response:
    views.get_event(session, principal=viewer, seq=seq)
    signer = service.init_signer(request.app.state.settings.data_dir)
    body = service.issue_receipt(session, seq=seq, signer=signer)
    return render(request, "receipt.html", viewer=viewer, seq=seq, key_hex=raw_public_key(signer.public_key).hex(),
                  receipt=json.dumps(body, ensure_ascii=False, indent=2))


@router.get("/audit/verify")
def verify_page(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """Paste any receipt (e.g. one an organisation kept) and check it in the browser."""
    signer = service.init_signer(request.app.state.settings.data_dir)
    return render(request, "receipt.html", viewer=viewer, seq=None, key_hex=raw_public_key(signer.public_key).hex(),
                  receipt="")
