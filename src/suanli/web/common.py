"""What every page handler shares: the template environment, `render`, the signed-in viewer, role
guards, form parsing with CSRF check, money and time formatting."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from suanli.api.deps import get_session
from suanli.domain.errors import Conflict, InvalidInput, SuanliError, Unauthenticated
from suanli.domain.money import Fen, format_yuan
from suanli.domain.money import yuan as yuan_to_fen
from suanli.domain.organisations import Principal, Role
from suanli.services import accounts, notifications
from suanli.services.views import forms
from suanli.services.views import names as names_view
from suanli.web import csrf, i18n, problems
from suanli.web.labels import label
from suanli.web.names import Names, display_name
from suanli.web.nav import menu

TEMPLATES = Path(__file__).parent / "templates"
TOKEN_COOKIE = "suanli_token"

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)


def yuan(fen: int | None) -> str:
    return "—" if fen is None else format_yuan(int(fen))


def form_yuan(text: str) -> Fen:
    """A positive amount typed in yuan ("20,000" or "12.50") as fen; sub-fen or silly amounts refused,
    never rounded (money is never a float)."""
    try:
        amount = yuan_to_fen(Decimal(text.strip().replace(",", "")).normalize().to_eng_string())
    except (InvalidOperation, ValueError):
        raise InvalidInput("the amount must be yuan with at most two decimals, e.g. 20000 or 12.50") from None
    if amount <= 0 or amount > 10**15:
        raise InvalidInput("the amount must be positive")
    return amount


def when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M")


def hours(seconds: float | None) -> str:
    return "0" if not seconds else f"{seconds / 3600:,.2f}"


def figure_json(figure: dict[str, Any]) -> str:
    # Embedded in a data- attribute, so it must stay a plain str the template autoescapes.
    return json.dumps(figure, ensure_ascii=False)


def millis(value: int | None) -> str:
    """A signed head's timestamp (milliseconds since the epoch) as a UTC date and time."""
    if value is None:
        return "—"
    return datetime.fromtimestamp(int(value) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


env.filters.update(yuan=yuan, when=when, hours=hours, millis=millis)


class SignInRequired(Exception):
    """No valid session cookie: the web app redirects to the sign-in page."""


class PageForbidden(Exception):
    """Signed in, but this page is not for the viewer's role (rendered as a 403 page)."""


# `scope="function"`: the unit of work commits when the handler returns, BEFORE the response is sent,
# so a commit the database refuses is never answered with a success (as `api/deps.py`).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
FORM_KEY = "form_key"


def optional_viewer(request: Request, session: SessionDep) -> Principal | None:
    token = request.cookies.get(TOKEN_COOKIE)
    if not token or len(token) > 200:
        return None
    try:
        principal = accounts.authenticate(session, token)
    except Unauthenticated:
        return None
    # The header's inbox link shows the unread count on every page.
    request.state.unread = notifications.unread_count(session, principal=principal)
    return principal


def viewer(principal: Annotated[Principal | None, Depends(optional_viewer)]) -> Principal:
    if principal is None:
        raise SignInRequired
    return principal


ViewerDep = Annotated[Principal, Depends(viewer)]
OptionalViewerDep = Annotated[Principal | None, Depends(optional_viewer)]


def require(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise PageForbidden


def secret(request: Request) -> bytes:
    return request.app.state.web_secret  # type: ignore[no-any-return]


async def form(request: Request) -> dict[str, str]:
    """The posted form fields (single values), after the CSRF check."""
    fields, _file = await form_with_file(request, max_bytes=0)
    return fields


@dataclass(frozen=True)
class PostedFile:
    """The file a multipart form carried (empty when none was chosen)."""

    data: bytes = b""
    filename: str = ""
    content_type: str = ""


async def form_with_file(request: Request, *, field: str = "file", max_bytes: int) -> tuple[dict[str, str], PostedFile]:
    """The posted form fields and its file `field`, after the CSRF check. At most `max_bytes + 1` bytes
    are read: one past the limit is enough for the service to refuse the file with the limit named."""
    data = await request.form()
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    csrf.check(request, secret(request), fields.get(csrf.FIELD))
    upload = data.get(field)
    if not isinstance(upload, UploadFile) or max_bytes <= 0:
        return fields, PostedFile()
    return fields, PostedFile(await upload.read(max_bytes + 1), upload.filename or "", upload.content_type or "")


def render(request: Request, template: str, http_status: int = 200, *, viewer: Principal | None = None,
           **context: Any) -> HTMLResponse:
    lang = i18n.language(request)
    gettext = i18n.translator(lang)
    context.setdefault("names", Names(gettext, lang))
    token = csrf.token_for(request, secret(request))
    html = env.get_template(template).render(
        request=request, _=gettext, lang=lang, html_lang=i18n.html_lang(lang), csrf_token=token,
        viewer=viewer, menu=menu(viewer), label=lambda value: gettext(label(value)), figure_json=figure_json,
        path=request.url.path, form_key=forms.new_key, unread=getattr(request.state, "unread", 0),
        named=lambda thing: display_name(thing, lang), **context)
    response = HTMLResponse(html, status_code=http_status)
    remember(request, response)
    return response


def page_names(request: Request, session: Session) -> Names:
    """Names for a page that shows centers and pools (read from the federation)."""
    lang = i18n.language(request)
    return Names(i18n.translator(lang), lang, names_view.directory(session))


def remember(request: Request, response: Response) -> None:
    """Set the language cookie when `?lang=` asked for one, and the CSRF cookie when it is new."""
    secure = bool(request.app.state.settings.secure_cookies)
    lang = i18n.requested_language(request)
    if lang:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=secure, httponly=True)
    token = getattr(request.state, "csrf_token", None)
    if token and token != request.cookies.get(csrf.COOKIE):
        response.set_cookie(csrf.COOKIE, token, samesite="lax", secure=secure, httponly=True, path="/")


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None) -> str:
    """Only same-site paths after sign-in: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/home"
    return target


def options(values: Iterable[Any]) -> list[Any]:
    return list(values)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def problem_text(detail: str, lang: str) -> str:
    """A service refusal in the page's language: voucher rules say "english / 中文"; keep one half."""
    parts = detail.split(" / ")
    if len(parts) == 2 and _has_cjk(parts[1]) != _has_cjk(parts[0]):
        zh, en = (parts[1], parts[0]) if _has_cjk(parts[1]) else (parts[0], parts[1])
        return zh if lang == "zh_CN" else en
    return detail


def error_text(exc: SuanliError, lang: str) -> str:
    """A refusal in the reader's language: the service's bilingual detail, else the zh wording of the
    known messages and problem types (web/problems.py)."""
    return problems.message(exc, lang, problem_text(exc.detail, lang))


def commit_now(session: Session, action: Callable[[], Any] | None = None) -> Any:
    """Run `action` (the form's writes) and commit them before the answer is built; a change the
    database refuses, at flush or at commit, is a `Conflict` with everything rolled back (the same as
    the unit of work's)."""
    try:
        result = action() if action is not None else None
        session.commit()
    except (IntegrityError, DataError) as exc:
        session.rollback()
        raise Conflict(f"the database refused the change ({type(exc.orig).__name__}); nothing was saved") from None
    return result


def submit_form(request: Request, session: Session, viewer: Principal, fields: dict[str, str],
                action: Callable[[], str], refused: Callable[[str], Response]) -> Response:
    """Post/redirect/get with a one-time form key: run the form's service call, record its key, commit
    now, and redirect to the page `action` returned. A refusal (by a service, a bound, or the database
    at flush or commit) rolls everything back and `refused(message)` re-renders the form; a second post
    with the same key (reload, double click) is redirected to the first one's page without filing again."""
    lang = i18n.language(request)
    key = fields.get(FORM_KEY, "")
    try:
        previous = forms.previous_submission(session, principal=viewer, key=key)
        if previous is not None:
            return redirect(previous)

        def write() -> str:
            target = action()
            forms.record_submission(session, principal=viewer, key=key, target=target)
            return target

        target = commit_now(session, write)
    except SuanliError as exc:
        session.rollback()
        if isinstance(exc, Conflict):  # a twin of this very form may have committed first
            try:
                twin = forms.previous_submission(session, principal=viewer, key=key)
            except SuanliError:
                twin = None
            if twin is not None:
                return redirect(twin)
        return refused(error_text(exc, lang))
    return redirect(target)


def form_int(fields: dict[str, str], key: str, *, low: int, high: int, default: int | None = None) -> int | None:
    """A whole number typed in a form, within bounds; "1.5" or "abc" is refused, never rounded."""
    raw = (fields.get(key) or "").strip()
    if not raw:
        return default
    if not raw.lstrip("-").isdigit() or len(raw) > 18:
        raise InvalidInput(f"{key} must be a whole number", field=key)
    value = int(raw)
    if not low <= value <= high:
        raise InvalidInput(f"{key} must be between {low} and {high}", field=key, low=low, high=high)
    return value
