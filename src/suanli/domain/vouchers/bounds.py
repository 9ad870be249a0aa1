"""Bounds every voucher write is held to on the server, whatever edge it came through: amounts are
integer fen within range, text is refused (never truncated) past its limit, enumerations take only
their members. Each refusal names the field."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from suanli.domain.errors import InvalidInput

MAX_FEN = 10**15
E = TypeVar("E", bound=StrEnum)


def check_fen(field: str, value: object, *, positive: bool = True) -> int:
    """An amount in integer fen: an int (not a bool, not a float), positive unless told, at most 10^15."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number of fen", field=field)
    if value > MAX_FEN or value < (1 if positive else 0):
        raise InvalidInput(f"{field} must be between {1 if positive else 0} and {MAX_FEN} fen", field=field)
    return value


def check_text(field: str, value: str | None, limit: int, *, required: bool = False) -> str | None:
    """Text up to `limit` characters, refused beyond it (a stored text is never silently cut)."""
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{field} is required", field=field)
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{field} is {len(value)} characters; at most {limit} are allowed", field=field)
    if "\x00" in value:
        raise InvalidInput(f"{field} must not contain NUL characters", field=field)
    return value


def check_member(field: str, value: object, enum: type[E]) -> E:
    """One of the enumeration's values; anything else is refused naming the field and the choices."""
    try:
        return enum(str(value)) if isinstance(value, str) else enum(value)  # type: ignore[arg-type]
    except ValueError:
        raise InvalidInput(f"{field} must be one of {', '.join(e.value for e in enum)}", field=field) from None
