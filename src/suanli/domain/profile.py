"""The organisation profile (一企一档): facts about an organisation, each with where it came from and
when, that award and voucher rules read: the awards (issue 17) and voucher eligibility rules
(`facts:` in a program file's conditions, issue 14) read the same recorded facts.

Facts are keyed by name (`revenue_fen:2024`, `ai_revenue_share_pct:2024`, `rd_share_pct:2024`,
`certification:little_giant`, `registration:large_model`, `standard:national`, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class ProfileFact:
    key: str
    value: str  # numbers as decimal text, dates ISO, flags "true"
    source: str  # 来源: e.g. 审计报告, 工信部公告, 国家网信办备案公告
    as_of: date


@dataclass(frozen=True, slots=True)
class OrganisationProfile:
    organisation: str
    facts: dict[str, ProfileFact] = field(default_factory=dict)

    def number(self, key: str) -> int | None:
        fact = self.facts.get(key)
        return int(fact.value) if fact is not None else None

    def day(self, key: str) -> date | None:
        fact = self.facts.get(key)
        return date.fromisoformat(fact.value) if fact is not None else None

    def has(self, key: str) -> bool:
        return key in self.facts


# How a fact reads in each language: `revenue_fen:2024` -> "2024 年主营业务收入" (the key is for files).
FACT_NAMES: dict[str, tuple[str, str]] = {
    "revenue_fen": ("年主营业务收入", "main-business revenue"),
    "ai_revenue_share_pct": ("年人工智能业务收入占比", "AI share of revenue"),
    "rd_share_pct": ("年研发投入占比", "R&D share"),
    "rd_spending_fen": ("年研发投入", "R&D spending"),
}


def fact_name(key: str) -> tuple[str, str]:
    """The fact's name in (zh, en); a key this table does not know reads as itself."""
    name, _, year = key.partition(":")
    if name in FACT_NAMES and year.isdigit():
        zh, en = FACT_NAMES[name]
        return f"{year} {zh}", f"{year} {en}"
    return key, key
