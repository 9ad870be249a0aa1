"""Progress against target and year-over-year change, as exact decimals (None where undefined)."""

from __future__ import annotations

from decimal import Decimal


def progress_share(value: Decimal | None, target: Decimal | None) -> Decimal | None:
    """value / target, e.g. 0.6844 for 616 against 900; None without a value or a positive target."""
    if value is None or target is None or target <= 0:
        return None
    return (value / target).quantize(Decimal("0.0001"))


def year_over_year(value: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """(value - previous) / previous, e.g. 0.5 for 1920 after 1280; None without both or from zero."""
    if value is None or previous is None or previous == 0:
        return None
    return ((value - previous) / previous).quantize(Decimal("0.0001"))
