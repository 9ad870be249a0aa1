"""Canonical JSON for audit events: the exact bytes that become a Merkle leaf.

Rules (documented for auditors in docs/audit.md): UTF-8, object keys sorted, no insignificant
whitespace, non-ASCII characters kept as themselves, integers as plain decimals (money is always an
integer of fen), no NaN/Infinity. Finite floats are accepted for non-money facts and written in
Python's shortest round-trip form (integers are preferred: basis points for ratios); datetimes become
ISO-8601 UTC strings, enums their values and sets sorted lists before encoding.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from suanli.domain.audit.errors import NotCanonical

EVENT_SCHEMA = "suanli.audit.event/1"


def normalise(value: Any, path: str = "payload") -> Any:
    """Turn `value` into plain JSON types (dict/list/str/int/bool/None) or refuse it."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Enum):
        return normalise(value.value, path)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotCanonical(f"{path} is not a finite number")
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise NotCanonical(f"{path} is a naive datetime")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(f"{path} has a non-string key {key!r}")
            out[key] = normalise(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [normalise(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, set | frozenset):
        return sorted(normalise(item, f"{path}[]") for item in value)
    raise NotCanonical(f"{path} has a value of type {type(value).__name__} that JSON cannot carry")


def canonical_json(value: Any) -> bytes:
    """The canonical encoding of an already-normalised JSON value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def event_document(*, seq: int, kind: str, subject: str, organisation_id: int | None,
                   payload: Mapping[str, Any], recorded_at: datetime) -> dict[str, Any]:
    """The event as it is hashed, exported and shown to auditors."""
    if not kind or not subject:
        raise NotCanonical("an audit event needs a kind and a subject")
    if len(kind) > 100 or len(subject) > 200:
        raise NotCanonical("an audit event's kind has at most 100 characters and its subject 200")
    return {
        "schema": EVENT_SCHEMA,
        "seq": seq,
        "kind": kind,
        "subject": subject,
        "organisation_id": organisation_id,
        "recorded_at": normalise(recorded_at, "recorded_at"),
        "payload": normalise(dict(payload)),
    }
