"""Accounting periods: calendar months in China Standard Time (UTC+8, no daylight saving).

A closed period refuses new postings dated inside it; corrections go into an open period.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from suanli.domain.errors import InvalidInput
from suanli.domain.ledger.errors import PeriodClosed

CHINA = timezone(timedelta(hours=8), "CST")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def period_of(moment: datetime) -> str:
    """`YYYY-MM` of the moment in China Standard Time."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(CHINA).strftime("%Y-%m")


def check_month(month: str) -> str:
    # The pattern alone admits year 0000 (no such month in datetime: a 500 further on) and 9999-12
    # (whose end is year 10000); an accounting period lies in a year an operator could mean.
    if not MONTH.match(month) or not 1900 <= int(month[:4]) <= 9998:
        raise InvalidInput(f"{month!r} is not a month like 2026-01", field="month")
    return month


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a month in UTC."""
    year, mon = map(int, check_month(month).split("-"))
    start = datetime(year, mon, 1, tzinfo=CHINA)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=CHINA)
    return start.astimezone(UTC), end.astimezone(UTC)


def check_open(period: str, closed: bool) -> None:
    if closed:
        raise PeriodClosed(f"accounting period {period} is closed; post into an open period", period=period)
