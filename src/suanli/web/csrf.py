"""CSRF protection for the UI's forms: a double-submit token bound to a server secret.

The `suanli_csrf` cookie holds a random nonce and its HMAC under a per-app secret; every form posts
the same value back in `csrf_token` (JavaScript sends it in `X-CSRF-Token`). A forged cross-site post
cannot read the cookie, and a cookie planted from a sibling domain fails the HMAC. When the browser
sends `Origin`, it must be this host as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

COOKIE = "suanli_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"


class CsrfRefused(Exception):
    """A state-changing request without a valid CSRF token (rendered as 403 by the web app)."""


def new_token(secret: bytes) -> str:
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_mac(secret, nonce)}"


def _mac(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]


def is_valid(secret: bytes, token: str | None) -> bool:
    if not token or len(token) > 200 or "." not in token:
        return False
    nonce, mac = token.rsplit(".", 1)
    return hmac.compare_digest(mac, _mac(secret, nonce))


def token_for(request: Request, secret: bytes) -> str:
    """The token this page's forms carry: the cookie's when it is valid, else a fresh one."""
    existing = request.cookies.get(COOKIE)
    token = existing if existing is not None and is_valid(secret, existing) else new_token(secret)
    request.state.csrf_token = token
    return token


def check(request: Request, secret: bytes, submitted: str | None) -> None:
    cookie = request.cookies.get(COOKIE)
    submitted = submitted or request.headers.get(HEADER)
    if not (is_valid(secret, cookie) and submitted and hmac.compare_digest(cookie or "", submitted)):
        raise CsrfRefused("missing or mismatched CSRF token")
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise CsrfRefused("cross-origin form post")
