"""The organisation profile (一企一档): facts about an organisation, each with where it came from and
when, that award and voucher rules read: the awards (issue 17) and voucher eligibility rules
(`facts:` in a program file's conditions, issue 14) read the same recorded facts.

Facts are keyed by name (`revenue_fen:2024`, `ai_revenue_share_pct:2024`, `rd_share_pct:2024`,
`certification:little_giant`, `registration:large_model`, `standard:national`, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from suanli.domain.errors import InvalidInput


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


@dataclass(frozen=True, slots=True)
class FactKind:
    """A kind of fact the bureau records: its key (with `:{year}` when it is per year), its names and the
    kind of value (money in yuan on forms and fen inside, a percentage, a date, a yes/no flag, text)."""

    key: str
    zh: str
    en: str
    value: str  # money | percent | date | flag | text
    yearly: bool = False


# The facts the award files and the policy calculator read; the bureau's form offers these by name.
FACT_KINDS: tuple[FactKind, ...] = (
    FactKind("revenue_fen", "主营业务收入", "main-business revenue", "money", True),
    FactKind("ai_revenue_share_pct", "人工智能业务收入占比", "AI share of revenue", "percent", True),
    FactKind("rd_spending_fen", "研发投入", "R&D spending", "money", True),
    FactKind("rd_share_pct", "研发投入占比", "R&D share", "percent", True),
    FactKind("certification:little_giant", "国家级专精特新“小巨人”企业", "national specialised 'little giant'", "flag"),
    FactKind("certification:first_version_software", "首版次软件产品认定", "first-version software recognition", "flag"),
    FactKind("registration:large_model", "大模型备案日期", "large-model registration date", "date"),
    FactKind("standard:international", "主导制定国际标准", "led an international standard", "flag", True),
    FactKind("standard:national", "主导制定国家标准", "led a national standard", "flag", True),
    FactKind("standard:industry", "主导制定行业标准", "led an industry standard", "flag", True),
    FactKind("actual_controller", "实际控制人", "actual controller", "text"),
    FactKind("parent_organisation", "母公司", "parent organisation", "text"),
)
KINDS_BY_KEY = {k.key: k for k in FACT_KINDS}


def fact_kind(key: str) -> tuple[FactKind | None, str | None]:
    """The kind of a fact key and its year: `revenue_fen:2024` -> (revenue kind, "2024")."""
    if key in KINDS_BY_KEY:
        return KINDS_BY_KEY[key], None
    head, _, year = key.rpartition(":")
    kind = KINDS_BY_KEY.get(head)
    if kind is not None and kind.yearly and year.isdigit():
        return kind, year
    return None, None


def fact_name(key: str) -> tuple[str, str]:
    """The fact's name in (zh, en): `revenue_fen:2024` -> "2024 年主营业务收入"; an unknown key reads as itself."""
    kind, year = fact_kind(key)
    if kind is None:
        return key, key
    if year is None:
        return kind.zh, kind.en
    return f"{year} 年{kind.zh}", f"{year} {kind.en}"


def fact_key(kind_key: str, year: int | None) -> str:
    """The key the bureau's form records: a yearly kind needs the year."""
    kind = KINDS_BY_KEY.get(kind_key)
    if kind is None:
        raise InvalidInput(f"unknown fact kind {kind_key} / 未知的档案事项", field="kind")
    if kind.yearly:
        if year is None or not 2000 <= year <= 2100:
            raise InvalidInput(f"{kind.en} is recorded per year: give the year / {kind.zh}须填写年度", field="year")
        return f"{kind.key}:{year}"
    return kind.key


def check_value(key: str, value: str) -> str:
    """The value in its stored form for the key's kind (money in fen, a percentage 0-100, an ISO date,
    "true"); refused naming the field when it does not fit. Unknown keys keep any text."""
    kind, _year = fact_kind(key)
    value = value.strip()
    if not value:
        raise InvalidInput("the value is required / 须填写数值", field="value")
    if kind is None or kind.value == "text":
        return value
    try:
        if kind.value == "money":
            if not value.isdigit():
                raise ValueError
            return str(int(value))
        if kind.value == "percent":
            number = int(value)
            if not 0 <= number <= 100:
                raise ValueError
            return str(number)
        if kind.value == "date":
            return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidInput(f"{kind.en}: {value!r} is not a valid {kind.value} / {kind.zh}的数值无效", field="value") from None
    if value.lower() not in ("true", "yes", "是"):
        raise InvalidInput(f"{kind.en} is recorded as true / {kind.zh}只能记录为“是”", field="value")
    return "true"
