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


_PLAIN = frozenset({str, int, bool, type(None)})


class _NotPlain(Exception):
    """Raised by `_plain` for anything but plain JSON types (`normalise` then says where)."""


def _plain(value: Any) -> Any:
    """A copy of `value` if it is made of dicts with string keys, lists, tuples and plain scalars only:
    the shape of nearly every event (a ledger event's legs are lists of lists), checked without
    building a path string for every element."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            out[key] = item if type(item) in _PLAIN else _plain(item)
        return out
    if kind is list or kind is tuple:
        return [item if type(item) in _PLAIN else _plain(item) for item in value]
    raise _NotPlain


def normalise_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`normalise` for an event payload, with a fast path for payloads of plain JSON types."""
    if type(payload) is dict:
        try:
            plain: dict[str, Any] = _plain(payload)
            return plain
        except _NotPlain:
            pass
    normal: dict[str, Any] = normalise(dict(payload))
    return normal


def check_event_names(kind: str, subject: str) -> None:
    if not kind or not subject:
        raise NotCanonical("an audit event needs a kind and a subject")
    if len(kind) > 100 or len(subject) > 200:
        raise NotCanonical("an audit event's kind has at most 100 characters and its subject 200")


# Built once: json.dumps would build an encoder on every call, and events are encoded on every append.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> bytes:
    """The canonical encoding of an already-normalised JSON value."""
    return _ENCODER.encode(value).encode("utf-8")


def event_document(*, seq: int, kind: str, subject: str, organisation_id: int | None,
                   payload: Mapping[str, Any], recorded_at: datetime) -> dict[str, Any]:
    """The event as it is hashed, exported and shown to auditors."""
    check_event_names(kind, subject)
    return assemble_event(seq=seq, kind=kind, subject=subject, organisation_id=organisation_id,
                          recorded_at=normalise(recorded_at, "recorded_at"), payload=normalise_payload(payload))


def assemble_event(*, seq: int, kind: str, subject: str, organisation_id: int | None, recorded_at: str,
                   payload: dict[str, Any]) -> dict[str, Any]:
    """`event_document` from parts already checked and normalised (appends reuse them across retries)."""
    return {"schema": EVENT_SCHEMA, "seq": seq, "kind": kind, "subject": subject,
            "organisation_id": organisation_id, "recorded_at": recorded_at, "payload": payload}
