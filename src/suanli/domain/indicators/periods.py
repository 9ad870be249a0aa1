"""Reporting periods: a year ("2024") or a quarter ("2024Q3"), within an indicator's span of years."""

from __future__ import annotations

import re
from dataclasses import dataclass

from suanli.domain.errors import InvalidInput


class UnknownPeriod(InvalidInput):
    slug, title = "unknown-period", "No such reporting period"


_PERIOD = re.compile(r"^(\d{4})(?:[Qq]([1-4]))?$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    year: int
    quarter: int | None = None  # None: the whole year

    def __str__(self) -> str:
        return f"{self.year}" if self.quarter is None else f"{self.year}Q{self.quarter}"


def parse_period(text: str, *, kind: str, first_year: int, last_year: int, indicator: str) -> Period:
    """A period of an indicator reported per `kind` ("year" or "quarter"); anything else names itself."""
    match = _PERIOD.match(text.strip())
    if match is None:
        raise UnknownPeriod(f"period {text!r} of indicator {indicator} is not a year (2024) or a quarter (2024Q3)"
                            f" / 指标 {indicator} 的期间 {text!r} 不是年份（2024）或季度（2024Q3）",
                            period=text, indicator=indicator)
    year, quarter = int(match.group(1)), int(match.group(2)) if match.group(2) else None
    if not first_year <= year <= last_year:
        raise UnknownPeriod(f"period {text} does not exist for indicator {indicator}: it covers {first_year}-{last_year}"
                            f" / 指标 {indicator} 没有期间 {text}：统计范围为 {first_year}-{last_year} 年",
                            period=text, indicator=indicator)
    if kind == "quarter" and quarter is None:
        raise UnknownPeriod(f"indicator {indicator} is reported per quarter: {text} is a year, not a quarter"
                            f" / 指标 {indicator} 按季度填报：{text} 是年份而不是季度",
                            period=text, indicator=indicator)
    if kind == "year" and quarter is not None:
        raise UnknownPeriod(f"indicator {indicator} is reported per year: period {text} does not exist"
                            f" / 指标 {indicator} 按年度填报：没有期间 {text}",
                            period=text, indicator=indicator)
    return Period(year, quarter)


def periods_of(*, kind: str, first_year: int, last_year: int) -> list[Period]:
    if kind == "quarter":
        return [Period(y, q) for y in range(first_year, last_year + 1) for q in (1, 2, 3, 4)]
    return [Period(y) for y in range(first_year, last_year + 1)]
