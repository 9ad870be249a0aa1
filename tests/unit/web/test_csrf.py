"""CSRF protection and cookie flags of the web UI, over the real app and database."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from suanli.config import Settings
from suanli.domain.organisations import OrganisationType, Role
from suanli.web import csrf


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


@pytest.fixture
def web(api, settings: Settings):  # type: ignore[no-untyped-def]
    org = api.organisation("acme", OrganisationType.ENTERPRISE, sme=True)
    api.user("alice", Role.ORG_ADMIN, org)
    api.client.cookies.clear()
    return api.client


def test_a_token_is_valid_only_with_its_own_mac() -> None:
    secret = b"s" * 32
    token = csrf.new_token(secret)
    assert csrf.is_valid(secret, token)
    assert not csrf.is_valid(b"t" * 32, token)
    assert not csrf.is_valid(secret, token.split(".")[0] + ".deadbeef")
    assert not csrf.is_valid(secret, None) and not csrf.is_valid(secret, "x" * 300)


def test_sign_in_without_a_csrf_token_is_refused(web: TestClient) -> None:
    response = web.post("/signin", data={"username": "alice", "password": "correct-horse-42"}, follow_redirects=False)
    assert response.status_code == 403
    assert "suanli_token" not in response.headers.get("set-cookie", "")


def test_a_forged_token_that_does_not_match_the_cookie_is_refused(web: TestClient) -> None:
    web.get("/signin")
    forged = csrf.new_token(b"attacker-secret-0000000000000000")
    response = web.post("/signin", data={"csrf_token": forged, "username": "alice", "password": "correct-horse-42"},
                        follow_redirects=False)
    assert response.status_code == 403


def test_a_cross_origin_post_is_refused_even_with_the_token(web: TestClient) -> None:
    token = _token(web.get("/signin").text)
    response = web.post("/signin", data={"csrf_token": token, "username": "alice", "password": "correct-horse-42"},
                        headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert response.status_code == 403


def test_sign_in_with_the_token_sets_an_httponly_samesite_session_cookie(web: TestClient) -> None:
    page = web.get("/signin")
    assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=lax" in page.headers["set-cookie"]
    response = web.post("/signin", data={"csrf_token": _token(page.text), "username": "alice",
                                         "password": "correct-horse-42"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/home"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("suanli_token="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert web.get("/home").status_code == 200
    # Cancelling a job (a state change) without the token is refused even when signed in.
    assert web.post("/jobs/1/cancel", data={}).status_code == 403


def test_cookies_are_secure_when_settings_say_so(settings: Settings) -> None:
    from suanli.api.app import create_app

    app = create_app(settings.model_copy(update={"secure_cookies": True}))
    with TestClient(app) as client:
        assert "Secure" in client.get("/signin").headers["set-cookie"]


def test_pages_need_sign_in_and_redirect_back_after(web: TestClient) -> None:
    response = web.get("/jobs", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=/jobs"
    assert web.get("/signin?next=//evil.example").text.count('value="/home"') == 1  # no open redirect
