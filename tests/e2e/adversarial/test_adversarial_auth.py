"""Authentication under attack: brute-force throttling on sign-in, token expiry and revocation,
the password policy, comparisons that leak no timing (checked by inspection, not by timing), and no
password or token in any log line."""

from __future__ import annotations

import hashlib
import inspect
import logging
from datetime import timedelta

import pytest
import structlog
from sqlalchemy import select, update

from suanli.db.models.base import utcnow
from suanli.db.models.organisations import ApiTokenRow, UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import Role
from suanli.services import accounts

pytestmark = pytest.mark.product_password_hashes  # the passwords here are hashed at the product's cost
PROBLEM = "application/problem+json"
PASSWORD = "correct-horse-42"  # tests/conftest.py signs users up with it
LOGIN = "/api/v1/auth/login"


def problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == status
    return body


def test_five_wrong_passwords_lock_the_username_even_against_the_right_one(api, settings) -> None:  # type: ignore[no-untyped-def]
    org = api.organisation("tenant-a")
    api.user("alice", Role.ORG_ADMIN, org)
    api.user("bob", Role.ORG_ADMIN, org)
    for _ in range(settings.login_max_failures):
        problem(api.client.post(LOGIN, json={"username": "alice", "password": "guess-123456"}), 401)
    locked = api.client.post(LOGIN, json={"username": "alice", "password": PASSWORD})
    assert problem(locked, 429)["type"].endswith("/too-many-requests")
    assert 0 < int(locked.headers["Retry-After"]) <= settings.login_lockout_seconds + 1
    assert api.client.post(LOGIN, json={"username": "bob", "password": PASSWORD}).status_code == 200
    # Unknown usernames are throttled too and answer exactly like a wrong password (no user enumeration).
    unknown = [api.client.post(LOGIN, json={"username": "nobody", "password": "guess-123456"})
               for _ in range(settings.login_max_failures)]
    wrong = api.client.post(LOGIN, json={"username": "bob", "password": "guess-123456"})
    assert {r.json()["detail"] for r in unknown} == {wrong.json()["detail"]}
    problem(api.client.post(LOGIN, json={"username": "nobody", "password": "guess-123456"}), 429)


def test_an_expired_a_revoked_and_a_disabled_users_token_are_refused(api) -> None:  # type: ignore[no-untyped-def]
    org = api.organisation("tenant-a")
    me = "/api/v1/auth/me"
    for name in ("old", "gone", "fired"):
        api.user(name, Role.ORG_MEMBER, org)
        assert api.client.get(me, headers=api.auth(name)).status_code == 200
    with unit_of_work(api.sessions) as s:
        digest = hashlib.sha256(api.tokens["old"].encode()).hexdigest()
        s.execute(update(ApiTokenRow).where(ApiTokenRow.token_hash == digest)
                  .values(expires_at=utcnow() - timedelta(seconds=1)))
        s.execute(update(UserRow).where(UserRow.username == "fired").values(active=False))
    assert problem(api.client.get(me, headers=api.auth("old")), 401)["detail"] == "token expired"
    assert api.client.post("/api/v1/auth/logout", headers=api.auth("gone")).status_code == 204
    problem(api.client.get(me, headers=api.auth("gone")), 401)
    problem(api.client.get(me, headers=api.auth("fired")), 401)
    problem(api.client.post(LOGIN, json={"username": "fired", "password": PASSWORD}), 401)
    for bad in ("Bearer ", "Bearer x", "Basic " + "a" * 20, "Bearer " + "a" * 5000):
        problem(api.client.get(me, headers={"Authorization": bad}), 401)
    problem(api.client.get(me, cookies={"suanli_token": "forged"}), 401)


def test_the_password_policy_refuses_short_or_unmixed_passwords(api) -> None:  # type: ignore[no-untyped-def]
    org = api.organisation("platform")
    operator = api.user("root", Role.PLATFORM_OPERATOR, org)
    for weak in ("short-1", "onlyletterslong", "1234567890123", "", "a1" * 200):
        body = {"username": f"u{abs(hash(weak)) % 10**6}", "password": weak, "role": "org_member",
                "organisation_id": org}
        problem(api.client.post("/api/v1/users", json=body, headers=operator), 422)
    ok = {"username": "strong", "password": "letters-and-42", "role": "org_member", "organisation_id": org}
    assert api.client.post("/api/v1/users", json=ok, headers=operator).status_code == 201
    with unit_of_work(api.sessions) as s:
        stored = s.scalar(select(UserRow.password_hash).where(UserRow.username == "strong"))
    assert stored.startswith("$argon2id$") and "letters-and-42" not in stored


def test_secrets_are_compared_in_constant_time_or_only_through_their_hash() -> None:
    """Inspection, not timing: the bearer token is looked up by its SHA-256 (the database compares
    digests, never the secret), only the digest is stored, passwords go through argon2's verify with
    a dummy hash for unknown users, and the web CSRF token uses hmac.compare_digest."""
    source = inspect.getsource(accounts.authenticate)
    assert "token_by_hash(session, _token_hash(token))" in source
    assert "==" not in source.split('"""')[-1].replace("<=", "")  # no direct comparison of secrets
    assert "_hasher.verify" in inspect.getsource(accounts._verify)
    assert "_DUMMY_HASH" in inspect.getsource(accounts.login)
    assert set(ApiTokenRow.__table__.c.keys()) == {"id", "token_hash", "user_id", "expires_at", "revoked", "created_at"}
    try:
        from suanli.web import csrf
    except ModuleNotFoundError:
        return
    assert "compare_digest" in inspect.getsource(csrf)


def test_no_password_or_token_appears_in_any_log_line(api, caplog, capfd) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    org = api.organisation("tenant-a")
    with structlog.testing.capture_logs() as structured:
        api.user("alice", Role.ORG_ADMIN, org)
        token = api.tokens["alice"]
        api.client.post(LOGIN, json={"username": "alice", "password": "wrong-pass-99"})
        api.client.get("/api/v1/jobs", headers=api.auth("alice"))
        api.client.get("/api/v1/jobs/999999", headers=api.auth("alice"))
        api.client.post("/api/v1/jobs", json={"bad": True}, headers=api.auth("alice"))
        api.client.post("/api/v1/auth/logout", headers=api.auth("alice"))
        api.client.get("/api/v1/auth/me", headers=api.auth("alice"))
    out, err = capfd.readouterr()
    logged = "\n".join([caplog.text, out, err, *map(repr, structured)])
    for secret in (PASSWORD, "wrong-pass-99", token, hashlib.sha256(token.encode()).hexdigest()):
        assert secret not in logged
