"""An award program file (YAML): one item of an incentive policy with its source, evidence, eligibility
on profile facts and how much it pays. Errors name the line and the field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from suanli.domain.awards.errors import InvalidAwardFile
from suanli.domain.yaml_source import line_of, parse_yaml

MAX_FILE_BYTES = 200_000
Kind = Literal["fixed", "percentage", "tiered", "schedule", "reviewed"]


class _Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str = Field(min_length=1, max_length=500)
    en: str = Field(min_length=1, max_length=500)


class _Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9-]{1,63}$")
    name: _Text


class _Requirement(BaseModel):
    """A profile fact the claimant must have (`fact`), at least `min` when numeric."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9.-]{1,63}$")
    fact: str = Field(min_length=1, max_length=100)  # "{year}" is replaced by the claim's year
    min: int | None = None
    message: _Text


class _Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9-]{1,63}$")
    threshold_fen: int = Field(ge=0)
    amount_fen: int = Field(gt=0)


class _Award(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    amount_fen: int | None = Field(default=None, gt=0)
    percent: int | None = Field(default=None, gt=0, le=100)
    ceiling_fen: int | None = Field(default=None, gt=0)
    measure: str | None = None  # tiered: the profile fact compared with the thresholds
    tiers: list[_Tier] = Field(default_factory=list)
    levels: dict[str, int] = Field(default_factory=dict)  # schedule: level -> amount_fen
    parties: list[str] = Field(default_factory=lambda: ["applicant"], min_length=1, max_length=2)
    places: int | None = Field(default=None, gt=0, le=10_000)  # ranked: the first N by `order_by`
    order_by: str | None = None  # ranked: the profile fact (a date) that orders the claimants

    @model_validator(mode="after")
    def _shape(self) -> _Award:
        needs = {"fixed": ("amount_fen",), "percentage": ("percent", "ceiling_fen"), "tiered": ("measure", "tiers"),
                 "schedule": ("levels",), "reviewed": ("ceiling_fen",)}[self.kind]
        for name in needs:
            if not getattr(self, name):
                raise ValueError(f"an award of kind {self.kind} needs {name}")
        if (self.places is None) != (self.order_by is None):
            raise ValueError("a ranked award needs both places and order_by")
        thresholds = [t.threshold_fen for t in self.tiers]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("tiers go up by threshold, each threshold once")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    title: _Text
    source: str = Field(min_length=1, max_length=2000)
    family: str = Field(pattern=r"^[a-z0-9-]{1,63}$")
    annual_ceiling_fen: int | None = Field(default=None, gt=0)  # per organisation, across the family
    no_application: bool = False  # 免申即享: eligible organisations only confirm
    budget_fen: int | None = Field(default=None, gt=0)  # the item's budget, committed on the ledger at load
    related_party: Literal["allowed", "refused"] = "allowed"  # refused: parties under common control get nothing
    evidence: list[_Evidence] = Field(min_length=1)
    eligibility: list[_Requirement] = Field(default_factory=list)
    award: _Award


@dataclass(frozen=True, slots=True)
class Tier:
    id: str
    threshold_fen: int
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    fact: str
    min: int | None
    message_zh: str
    message_en: str


@dataclass(frozen=True, slots=True)
class AwardItem:
    code: str
    title_zh: str
    title_en: str
    source: str
    family: str
    kind: str
    evidence: tuple[tuple[str, str, str], ...]  # (id, zh, en)
    eligibility: tuple[Requirement, ...] = ()
    amount_fen: int | None = None
    percent: int | None = None
    ceiling_fen: int | None = None
    measure: str | None = None
    tiers: tuple[Tier, ...] = ()
    levels: tuple[tuple[str, int], ...] = ()
    parties: tuple[str, ...] = ("applicant",)
    places: int | None = None
    order_by: str | None = None
    annual_ceiling_fen: int | None = None
    no_application: bool = False
    budget_fen: int | None = None
    related_party: str = "allowed"

    @property
    def ranked(self) -> bool:
        return self.places is not None


def parse_award_file(text: str) -> AwardItem:
    data, node = parse_yaml(text, InvalidAwardFile, max_bytes=MAX_FILE_BYTES, what="award program file")
    try:
        spec = _File.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = list(error["loc"])
        where = ".".join(str(p) for p in path) or "file"
        line = line_of(node, path)
        raise InvalidAwardFile(f"line {line}: {where}: {error['msg']}", field=where, line=line) from None
    a = spec.award
    return AwardItem(
        code=spec.id, title_zh=spec.title.zh, title_en=spec.title.en, source=spec.source, family=spec.family,
        kind=a.kind, evidence=tuple((e.id, e.name.zh, e.name.en) for e in spec.evidence),
        eligibility=tuple(Requirement(r.id, r.fact, r.min, r.message.zh, r.message.en) for r in spec.eligibility),
        amount_fen=a.amount_fen, percent=a.percent, ceiling_fen=a.ceiling_fen, measure=a.measure,
        tiers=tuple(Tier(t.id, t.threshold_fen, t.amount_fen) for t in a.tiers), levels=tuple(a.levels.items()),
        parties=tuple(a.parties), places=a.places, order_by=a.order_by, annual_ceiling_fen=spec.annual_ceiling_fen,
        no_application=spec.no_application, budget_fen=spec.budget_fen, related_party=spec.related_party)
