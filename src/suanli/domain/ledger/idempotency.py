"""Idempotency keys: the same key with the same canonical body yields the same result; the same key
with a different body is a 409 `IdempotencyConflict`, so a client's retry can never move money twice."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from suanli.domain.errors import IdempotencyConflict, InvalidInput

MAX_KEY_LENGTH = 200


def request_hash(body: Any) -> str:
    """SHA-256 of the canonical JSON of a request (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(f"an idempotency key must be 1-{MAX_KEY_LENGTH} printable characters")
    return key


def check_replay(key: str, stored_hash: str, new_hash: str) -> None:
    """A replay is only the same request if the bodies hash the same."""
    if stored_hash != new_hash:
        raise IdempotencyConflict(f"idempotency key {key!r} was already used with a different request",
                                  idempotency_key=key)
