"""One-time form keys (post/redirect/get without double filing): a page's form carries a random key;
the write it triggers records the key in the same transaction, so a second post with the same key
(reload, double click, back + resubmit) finds it and is sent to the first submission's page."""

from __future__ import annotations

import re
import secrets

from sqlalchemy.orm import Session

from suanli.db.repositories import web as repo
from suanli.domain.errors import InvalidInput
from suanli.domain.organisations import Principal

_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_key() -> str:
    return secrets.token_urlsafe(18)


def check_key(key: str | None) -> str:
    if not key or not _KEY.fullmatch(key):
        raise InvalidInput("the form has no valid one-time key; reload the page and submit again", field="form_key")
    return key


def previous_submission(session: Session, *, principal: Principal, key: str) -> str | None:
    """The page the first submission with this key was sent to, or None when the key is unused."""
    return repo.form_key_target(session, key=check_key(key), user_id=principal.user_id)


def record_submission(session: Session, *, principal: Principal, key: str, target: str) -> None:
    """Record the key with the write it carried (the primary key refuses a twin at flush or commit)."""
    repo.record_form_key(session, key=check_key(key), user_id=principal.user_id, target=target[:500])
