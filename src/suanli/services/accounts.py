"""Sign-in, API tokens and users: argon2id password hashes, hashed tokens with expiry, and
brute-force throttling per username."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.organisations import ApiTokenRow, LoginFailureRow, UserRow
from suanli.db.repositories import organisations as repo
from suanli.domain.errors import (
    DuplicateName,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from suanli.domain.organisations import Principal, Role, password_problem
from suanli.services import audit

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    principal: Principal


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session, *, username: str, password: str, role: Role, organisation_id: int, display_name: str = "",
    created_by: str = "system",
) -> UserRow:
    if not 3 <= len(username) <= 64 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise InvalidInput("username must have 3-64 letters, digits, '-', '_' or '.'")
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem)
    if repo.get_organisation(session, organisation_id) is None:
        raise NotFound(f"organisation {organisation_id} not found")
    if repo.user_by_username(session, username) is not None:
        raise DuplicateName(f"username {username!r} is taken")
    user = UserRow(username=username, display_name=display_name or username, password_hash=hash_password(password),
                   role=role.value, organisation_id=organisation_id)
    session.add(user)
    session.flush()
    audit.record_event(session, kind="user.role_granted", subject=f"user/{user.id}",
                       payload={"username": username, "role": role.value, "by": created_by},
                       organisation_id=organisation_id)
    return user


def principal_of(user: UserRow) -> Principal:
    return Principal(user.id, user.username, user.organisation_id, Role(user.role))


def login(session: Session, *, username: str, password: str, ttl: timedelta, max_failures: int,
          lockout: timedelta) -> IssuedToken:
    """Check the password and issue a token. After `max_failures` wrong passwords the username is
    locked for `lockout`; the failure count is written even though the request fails."""
    now = utcnow()
    failures = repo.login_failures(session, username)
    if failures and failures.locked_until and failures.locked_until > now:
        raise TooManyRequests("too many failed sign-ins; try again later",
                              retry_after_s=int((failures.locked_until - now).total_seconds()) + 1)
    user = repo.user_by_username(session, username)
    if user is None or not user.active or not _verify(user.password_hash if user else _DUMMY_HASH, password):
        _count_failure(session, username, failures, now, max_failures, lockout)
        raise Unauthenticated("wrong username or password")
    if failures:
        session.delete(failures)
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl
    session.add(ApiTokenRow(token_hash=_token_hash(token), user_id=user.id, expires_at=expires_at))
    session.flush()
    return IssuedToken(token, expires_at, principal_of(user))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def _count_failure(session: Session, username: str, failures: LoginFailureRow | None, now: datetime,
                   max_failures: int, lockout: timedelta) -> None:
    if failures is None:
        failures = LoginFailureRow(username=username[:64], failures=0)
        session.add(failures)
    failures.failures += 1
    if failures.failures >= max_failures:
        failures.locked_until = now + lockout
        failures.failures = 0
    session.flush()


def authenticate(session: Session, token: str) -> Principal:
    """The principal a bearer token stands for; only the token's hash is looked up."""
    row = repo.token_by_hash(session, _token_hash(token))
    if row is None or row.revoked:
        raise Unauthenticated("invalid or revoked token")
    if row.expires_at <= utcnow():
        raise Unauthenticated("token expired")
    user = repo.get_user(session, row.user_id)
    if user is None or not user.active:
        raise Unauthenticated("user disabled")
    return principal_of(user)


def revoke(session: Session, token: str) -> None:
    row = repo.token_by_hash(session, _token_hash(token))
    if row is not None:
        row.revoked = True
        session.flush()


def add_user(session: Session, *, principal: Principal, username: str, password: str, role: Role,
             organisation_id: int, display_name: str = "") -> UserRow:
    """A user added by someone signed in: organisation admins add members and admins to their own
    organisation; only the platform operator adds users of other organisations or other roles.
    Another tenant's organisation is "not found" for an admin, never a confirmation that it exists."""
    own = principal.role == Role.ORG_ADMIN and organisation_id == principal.organisation_id
    if principal.role != Role.PLATFORM_OPERATOR:
        if principal.role == Role.ORG_ADMIN and organisation_id != principal.organisation_id:
            raise NotFound(f"organisation {organisation_id} not found")
        if not own or role not in (Role.ORG_MEMBER, Role.ORG_ADMIN):
            raise Forbidden("only the platform operator creates users of other roles")
    return create_user(session, username=username, password=password, role=role, organisation_id=organisation_id,
                       display_name=display_name, created_by=principal.username)
