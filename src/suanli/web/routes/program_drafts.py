"""The program editor in the browser: an officer uploads a program file (or pastes it) on the programs
page; it comes back as a draft in words, with the difference from the issuer's program in force; a
second officer publishes it (四眼原则) or either withdraws it. The rules are the service's
(`services/vouchers/drafts.py`); these pages only render them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import NotFound
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers.program_file import MAX_FILE_BYTES
from suanli.services import vouchers as service
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, form, form_with_file, render, require, submit_form

router = APIRouter(include_in_schema=False)
EDITORS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)
READERS = (*EDITORS, Role.FINANCE_OFFICER, Role.AUDITOR)


@router.post("/programs/drafts")
async def propose(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """The programs page's form: the uploaded file when one was chosen, else the pasted text."""
    require(viewer, *EDITORS)
    fields, file = await form_with_file(request, max_bytes=MAX_FILE_BYTES)
    content = (file.data if file.filename else b"") or fields.get("text", "").encode()
    name = file.filename or "pasted program file"
    return await run_in_threadpool(_propose, request, session, viewer, fields, content, name)


def _propose(request: Request, session: Session, viewer: Principal, fields: dict[str, str], content: bytes,
             name: str) -> Response:
    from suanli.web.routes.programs import programs_page  # the form lives on the programs page

    gettext = i18n.translator(i18n.language(request))

    def action() -> str:
        return f"/programs/drafts/{service.propose_program(session, actor=viewer, data=content, source=name).id}"

    def refused(message: str) -> Response:
        return programs_page(request, session, viewer, 422, error=gettext("The program file was refused:") + " " + message,
                             text=fields.get("text", ""))

    return submit_form(request, session, viewer, fields, action, refused)


@router.get("/programs/drafts/{draft_id}")
def draft(request: Request, session: SessionDep, viewer: ViewerDep, draft_id: int) -> Response:
    require(viewer, *READERS)
    return _draft_page(request, session, viewer, draft_id)


def _draft_page(request: Request, session: Session, viewer: Principal, draft_id: int, status: int = 200,
                **extra: Any) -> Response:
    shown = service.preview(session, actor=viewer, draft_id=draft_id, zh=i18n.language(request) == "zh_CN")
    return render(request, "program_draft.html", status, viewer=viewer, shown=shown,
                  may_publish=viewer.role in EDITORS and shown.draft.proposed_by != viewer.user_id
                  and shown.draft.status == "proposed",
                  may_withdraw=viewer.role in EDITORS and shown.draft.status == "proposed", **extra)


@router.post("/programs/drafts/{draft_id}/{decision}")
async def decide(request: Request, session: SessionDep, viewer: ViewerDep, draft_id: int, decision: str) -> Response:
    require(viewer, *EDITORS)
    fields = await form(request)
    return await run_in_threadpool(_decide, request, session, viewer, draft_id, decision, fields)


def _decide(request: Request, session: Session, viewer: Principal, draft_id: int, decision: str,
            fields: dict[str, str]) -> Response:
    def action() -> str:
        if decision == "publish":
            return f"/programs/{service.publish_draft(session, actor=viewer, draft_id=draft_id).id}"
        if decision == "withdraw":
            service.withdraw_draft(session, actor=viewer, draft_id=draft_id)
            return "/programs"
        raise NotFound(f"no decision {decision!r}")

    def refused(message: str) -> Response:
        return _draft_page(request, session, viewer, draft_id, 422, error=message)

    return submit_form(request, session, viewer, fields, action, refused)

