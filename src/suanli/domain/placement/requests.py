"""From what a person typed to a `PlacementRequest`: the one builder that the API, the web form, the
CLI (through the API) and the stored request of an auto job all go through.

Input arrives as JSON values or as form strings. Each field is converted strictly and named in the
refusal: a device count of 1.5 is refused rather than cut to 1, an unknown preference is refused
rather than replaced, money is integer fen from parsing on (`max_price_yuan` "12.50" is parsed as a
decimal, never a float), and text over its limit is refused rather than truncated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from suanli.domain.errors import InvalidResourceRequest
from suanli.domain.money import Fen
from suanli.domain.money import yuan as yuan_to_fen
from suanli.domain.placement.feasibility import PlacementRequest
from suanli.domain.placement.scoring import PRESETS
from suanli.domain.resources import MAX_DEVICES_PER_JOB, Ecosystem, parse_models

MAX_NAME = 100
MAX_PRICE_FEN = 10**15
FIELDS = frozenset({
    "devices", "equivalents", "pflops", "ecosystems", "models", "min_device_memory_gb", "devices_per_node",
    "cpus_per_device", "memory_gb_per_device", "hours", "deadline_hours", "deadline", "max_price_fen",
    "max_price_yuan", "allowed_regions", "designated_only", "input_city", "input_gb", "prefer",
    # Automatic placement may use simulated centers only for a job that says so (read by the placement
    # service, not by this builder): a real command is never sent where it will not run unless chosen.
    "allow_simulated",
})


def _refuse(field: str, message: str) -> InvalidResourceRequest:
    """"devices must be a whole number": the field leads a rule's wording (the web translates by
    that shape); a message that names its subject itself stands alone."""
    detail = f"{field} {message}" if message.startswith(("must", "at most")) else f"{field}: {message}"
    return InvalidResourceRequest(detail, field=field)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def integer(field: str, value: object, low: int, high: int) -> int:
    """A whole number in [low, high]; `2` and `"2"` pass, `1.5`, `"1.5"`, `true` are refused."""
    if isinstance(value, bool):
        raise _refuse(field, "must be a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise _refuse(field, "must be a whole number")
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise _refuse(field, "must be a whole number")
        value = int(text)
    if not isinstance(value, int):
        raise _refuse(field, "must be a whole number")
    if not low <= value <= high:
        raise _refuse(field, f"must be between {low} and {high}")
    return value


def number(field: str, value: object, low: float, high: float, *, open_low: bool = False) -> float:
    """A finite number in [low, high] (or (low, high] with `open_low`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _refuse(field, "must be a number")
    try:
        result = float(value)
    except ValueError:
        raise _refuse(field, "must be a number") from None
    too_low = result <= low if open_low else result < low
    if not math.isfinite(result) or too_low or result > high:
        raise _refuse(field, f"must be {'above' if open_low else 'at least'} {low:g} and at most {high:g}")
    return result


def yuan_amount(field: str, value: object) -> Fen:
    """Yuan typed as `"20,000"` or `"12.50"` (or a JSON number) as fen; sub-fen refused, never rounded."""
    text = str(value).strip().replace(",", "").replace("¥", "")
    try:
        amount = yuan_to_fen(Decimal(text).normalize().to_eng_string())
    except (InvalidOperation, ValueError):
        raise _refuse(field, "must be yuan with at most two decimals, e.g. 20000 or 12.50") from None
    if not 0 <= amount <= MAX_PRICE_FEN:
        raise _refuse(field, "must not be negative")
    return amount


def names(field: str, value: object, *, separator: str = ",", limit: int = 100) -> list[str]:
    """A list of short names, from a JSON list or a `separator`-joined string; blanks dropped."""
    if _blank(value):
        return []
    items: Iterable[object] = value.split(separator) if isinstance(value, str) else value  # type: ignore[assignment]
    if not isinstance(items, Iterable):
        raise _refuse(field, "must be a list of names")
    result = [text(field, item) for item in items if not _blank(item)]
    if len(result) > limit:
        raise _refuse(field, f"at most {limit} entries")
    return result


def text(field: str, value: object, limit: int = MAX_NAME) -> str:
    if not isinstance(value, str):
        raise _refuse(field, "must be text")
    stripped = value.strip()
    if len(stripped) > limit:
        raise _refuse(field, f"at most {limit} characters (got {len(stripped)})")
    return stripped


def flag(field: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"", "0", "false", "no", "off"}:
        return False
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    raise _refuse(field, "must be true or false")


def preference(value: object) -> str:
    chosen = "balanced" if _blank(value) else str(value).strip()
    if chosen not in PRESETS:
        raise InvalidResourceRequest(f"unknown preference {chosen[:40]!r}; known: {', '.join(PRESETS)}",
                                     field="prefer")
    return chosen


def _amount_fields(fields: Mapping[str, object]) -> dict[str, object]:
    given = [n for n in ("devices", "equivalents", "pflops") if not _blank(fields.get(n))]
    if len(given) != 1:
        raise InvalidResourceRequest("give exactly one of devices, equivalents or pflops", given=given,
                                     field="devices")
    name = given[0]
    if name == "devices":
        return {"devices": integer("devices", fields["devices"], 1, MAX_DEVICES_PER_JOB)}
    return {name: number(name, fields[name], 0, MAX_DEVICES_PER_JOB, open_low=True)}


def _deadline_hours(fields: Mapping[str, object], now: datetime | None) -> float | None:
    if not _blank(fields.get("deadline_hours")):
        return number("deadline_hours", fields["deadline_hours"], 0, 24 * 365 * 10, open_low=True)
    deadline = fields.get("deadline")
    if _blank(deadline) or now is None:
        return None
    try:
        moment = datetime.fromisoformat(str(deadline))
    except ValueError:
        raise _refuse("deadline", "must be an ISO date and time, e.g. 2026-12-31T18:00:00+08:00") from None
    return (moment - now).total_seconds() / 3600


def _max_price(fields: Mapping[str, object]) -> Fen | None:
    if not _blank(fields.get("max_price_fen")):
        return integer("max_price_fen", fields["max_price_fen"], 0, MAX_PRICE_FEN)
    if not _blank(fields.get("max_price_yuan")):
        return yuan_amount("max_price_yuan", fields["max_price_yuan"])
    return None


def placement_request(fields: Mapping[str, object], *, now: datetime | None = None,
                      strict: bool = True) -> PlacementRequest:
    """The request these fields describe. `strict` refuses keys this builder does not know (user
    input); stored requests pass `strict=False` since they carry other job settings too."""
    unknown = sorted(set(fields) - FIELDS)
    if strict and unknown:
        raise _refuse(unknown[0], "unknown field")
    if fields.get("allow_simulated") not in (None, True, False):
        raise _refuse("allow_simulated", "must be true or false")
    optional_int = {k: integer(k, fields[k], 1, 1024) for k in ("devices_per_node",) if not _blank(fields.get(k))}
    city = fields.get("input_city")
    return PlacementRequest(
        **_amount_fields(fields),  # type: ignore[arg-type]
        ecosystems=frozenset(Ecosystem.parse(e) for e in names("ecosystems", fields.get("ecosystems"))),
        models=parse_models("|".join(names("models", fields.get("models"), separator="|"))),
        min_device_memory_gb=integer("min_device_memory_gb", fields.get("min_device_memory_gb") or 0, 0, 10_000),
        devices_per_node=optional_int.get("devices_per_node"),
        cpus_per_device=integer("cpus_per_device", 1 if _blank(fields.get("cpus_per_device"))
                                else fields["cpus_per_device"], 0, 10_000),
        memory_gb_per_device=integer("memory_gb_per_device", fields.get("memory_gb_per_device") or 0, 0, 100_000),
        hours=number("hours", 1.0 if _blank(fields.get("hours")) else fields["hours"], 0, 24 * 365, open_low=True),
        deadline_hours=_deadline_hours(fields, now),
        max_price_fen=_max_price(fields),
        allowed_regions=frozenset(names("allowed_regions", fields.get("allowed_regions"))),
        designated_only=flag("designated_only", fields.get("designated_only", False)),
        input_city=None if _blank(city) else text("input_city", city),
        input_gb=number("input_gb", fields.get("input_gb") or 0, 0, 10**9),
        prefer=preference(fields.get("prefer")),
    )
