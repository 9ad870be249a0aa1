"""The signed-in person's notifications (通知): the inbox (newest first, unread marked, pages), marking
one or all read, and the choice of what arrives in the inbox and by e-mail, per kind."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.organisations import Principal
from suanli.services import notifications
from suanli.services.notifications import webhooks
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, form, render, submit_form
from suanli.web.lists import list_query

router = APIRouter(include_in_schema=False)


def _kinds(request: Request) -> dict[str, str]:
    zh = i18n.language(request) == "zh_CN"
    return {k: (v[0] if zh else v[1]) for k, v in notifications.KINDS.items()}


@router.get("/notifications")
def inbox(request: Request, session: SessionDep, viewer: ViewerDep, unread: str = "") -> Response:
    page = notifications.inbox(session, principal=viewer, unread_only=unread == "1", page=list_query(request).page)
    return render(request, "notifications.html", viewer=viewer, inbox=page, only_unread=unread == "1",
                  kinds=_kinds(request))


@router.post("/notifications/read-all")
async def read_all(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    fields = await form(request)
    return await run_in_threadpool(_read_all, request, session, viewer, fields)


def _read_all(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    def action() -> str:
        notifications.mark_all_read(session, principal=viewer)
        return "/notifications"

    return submit_form(request, session, viewer, fields, action, lambda message: _inbox_error(request, session, viewer, message))


@router.post("/notifications/{notification_id}/read")
async def read_one(request: Request, session: SessionDep, viewer: ViewerDep, notification_id: int) -> Response:
    fields = await form(request)
    return await run_in_threadpool(_read_one, request, session, viewer, notification_id, fields)


def _read_one(request: Request, session: Session, viewer: Principal, notification_id: int, fields: dict[str, str]) -> Response:
    def action() -> str:
        row = notifications.mark_read(session, principal=viewer, notification_id=notification_id)
        return row.link or "/notifications"

    return submit_form(request, session, viewer, fields, action, lambda message: _inbox_error(request, session, viewer, message))


def _inbox_error(request: Request, session: Session, viewer: Principal, message: str) -> Response:
    page = notifications.inbox(session, principal=viewer)
    return render(request, "notifications.html", 422, viewer=viewer, inbox=page, only_unread=False, kinds=_kinds(request),
                  error=message)


def _settings_page(request: Request, session: Session, viewer: Principal, code: int = 200, **extra: object) -> Response:
    mine = notifications.my_settings(session, principal=viewer)
    gettext = i18n.translator(i18n.language(request))
    if request.query_params.get("saved") and "notice" not in extra:
        extra["notice"] = gettext("Your choices were saved.")
    endpoints, deliveries = webhooks.my_endpoints(session, principal=viewer)
    return render(request, "notification_settings.html", code, viewer=viewer, mine=mine, kinds=_kinds(request),
                  endpoints=endpoints, deliveries=deliveries, **extra)


@router.get("/notifications/settings")
def settings_page(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    return _settings_page(request, session, viewer)


@router.post("/notifications/settings")
async def save(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    data = await request.form()
    fields = await form(request)
    chosen = ([str(v) for v in data.getlist("inbox")], [str(v) for v in data.getlist("mail")])
    return await run_in_threadpool(_save, request, session, viewer, fields, chosen)


def _save(request: Request, session: Session, viewer: Principal, fields: dict[str, str],
          chosen: tuple[list[str], list[str]]) -> Response:
    def action() -> str:
        notifications.save_settings(session, principal=viewer, email=fields.get("email", ""), inbox_kinds=chosen[0],
                                    mail_kinds=chosen[1])
        return "/notifications/settings?saved=1"

    return submit_form(request, session, viewer, fields, action,
                       lambda message: _settings_page(request, session, viewer, 422, error=message))


@router.post("/notifications/webhooks")
async def add_webhook(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    data = await request.form()
    fields = await form(request)
    kinds = [str(v) for v in data.getlist("webhook_kinds")]
    return await run_in_threadpool(_add_webhook, request, session, viewer, fields, kinds)


def _add_webhook(request: Request, session: Session, viewer: Principal, fields: dict[str, str], kinds: list[str]) -> Response:
    def action() -> str:
        webhooks.add_endpoint(session, principal=viewer, url=fields.get("url", ""), kinds=kinds)
        return "/notifications/settings?saved=1"

    return submit_form(request, session, viewer, fields, action,
                       lambda message: _settings_page(request, session, viewer, 422, error=message))


@router.post("/notifications/webhooks/{endpoint_id}/remove")
async def remove_webhook(request: Request, session: SessionDep, viewer: ViewerDep, endpoint_id: int) -> Response:
    fields = await form(request)
    return await run_in_threadpool(_remove_webhook, request, session, viewer, endpoint_id, fields)


def _remove_webhook(request: Request, session: Session, viewer: Principal, endpoint_id: int,
                    fields: dict[str, str]) -> Response:
    def action() -> str:
        webhooks.remove_endpoint(session, principal=viewer, endpoint_id=endpoint_id)
        return "/notifications/settings?saved=1"

    return submit_form(request, session, viewer, fields, action,
                       lambda message: _settings_page(request, session, viewer, 422, error=message))
