"""Industry indicators (产业指标): definitions with a unit, a period (year or quarter), a target per year
and a source, read from an indicator file; periods checked against the definition's span; progress
against target and year-over-year change computed exactly (Decimal, never float)."""

from suanli.domain.indicators.definitions import (
    PLATFORM_METRICS,
    IndicatorDefinition,
    InvalidIndicatorFile,
    UnknownPeriod,
    parse_indicator_file,
)
from suanli.domain.indicators.periods import Period, parse_period, periods_of
from suanli.domain.indicators.progress import progress_share, year_over_year

__all__ = ["PLATFORM_METRICS", "IndicatorDefinition", "InvalidIndicatorFile", "Period", "UnknownPeriod",
           "parse_indicator_file", "parse_period", "periods_of", "progress_share", "year_over_year"]
