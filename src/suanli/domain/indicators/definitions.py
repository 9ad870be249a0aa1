"""An indicator file (YAML): each indicator's code, names, unit, period, span of years, yearly targets
and source; optionally the platform metric that computes it from the platform's own data. Errors name
the line and the field."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from suanli.domain.errors import InvalidInput
from suanli.domain.indicators.periods import UnknownPeriod
from suanli.domain.yaml_source import line_of, parse_yaml

__all__ = ["PLATFORM_METRICS", "IndicatorDefinition", "InvalidIndicatorFile", "UnknownPeriod", "parse_indicator_file"]

# What the platform computes from its own data, per year.
PLATFORM_METRICS = ("organisations_served", "cities_served", "device_hours", "utilisation", "subsidies_paid_yuan")
MAX_FILE_BYTES = 500_000


class InvalidIndicatorFile(InvalidInput):
    slug, title = "invalid-indicator-file", "Invalid indicator file"


class _Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class _Unit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1, max_length=32)
    en: str = Field(min_length=1, max_length=32)


class _Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")
    name: _Text
    unit: _Unit
    period: Literal["year", "quarter"]
    years: tuple[int, int]
    targets: dict[int, Decimal] = Field(default_factory=dict)
    source: str = Field(min_length=1, max_length=2000)
    platform_metric: Literal[PLATFORM_METRICS] | None = None  # type: ignore[valid-type]
    public: bool = True

    @model_validator(mode="after")
    def _span(self) -> _Indicator:
        first, last = self.years
        if not 2000 <= first <= last <= 2100:
            raise ValueError("years is [first, last] with 2000 <= first <= last <= 2100")
        for year in self.targets:
            if not first <= year <= last:
                raise ValueError(f"target year {year} is outside years {first}-{last}")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicators: list[_Indicator] = Field(min_length=1, max_length=200)


@dataclass(frozen=True, slots=True)
class IndicatorDefinition:
    code: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    period: str
    first_year: int
    last_year: int
    source: str
    targets: dict[int, Decimal] = field(default_factory=dict)
    platform_metric: str | None = None
    public: bool = True


def parse_indicator_file(text: str) -> list[IndicatorDefinition]:
    data, node = parse_yaml(text, InvalidIndicatorFile, max_bytes=MAX_FILE_BYTES, what="indicator file")
    try:
        spec = _File.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = list(error["loc"])
        where = ".".join(str(p) for p in path) or "file"
        line = line_of(node, path)
        raise InvalidIndicatorFile(f"line {line}: {where}: {error['msg']}", field=where, line=line) from None
    codes = [i.code for i in spec.indicators]
    for index, code in enumerate(codes):
        if code in codes[:index]:
            line = line_of(node, ["indicators", index, "code"])
            raise InvalidIndicatorFile(f"line {line}: indicators.{index}.code: {code} appears twice", line=line)
    return [IndicatorDefinition(code=i.code, name_zh=i.name.zh, name_en=i.name.en, unit_zh=i.unit.zh, unit_en=i.unit.en,
                                period=i.period, first_year=i.years[0], last_year=i.years[1], source=i.source,
                                targets=dict(i.targets), platform_metric=i.platform_metric, public=i.public)
            for i in spec.indicators]
