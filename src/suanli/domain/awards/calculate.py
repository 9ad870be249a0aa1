"""Deciding an award claim: evidence, eligibility on the organisation's profile, the amount by the item's
kind, once-only rules (per item, per tier, per basis), the cross-program double-benefit check and the
per-organisation annual ceiling across a family of items. Every step that fires is named in the
decision, so the 公示 and the applicant read why; every refusal raises naming its rule.

Amounts are integer fen; a percentage is rounded down (a subsidy never exceeds its rule)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from suanli.domain.awards.errors import AwardClaimedAlready, AwardRuleViolation, DoubleBenefit
from suanli.domain.awards.items import AwardItem
from suanli.domain.money import format_yuan
from suanli.domain.profile import OrganisationProfile, fact_name

DOUBLE_BENEFIT = "cross-program.double-benefit"

# How a standard's level reads in Chinese (the file names levels by code).
LEVEL_NAMES_ZH = {"international": "国际标准", "national": "国家标准", "industry": "行业标准", "local": "地方标准",
                  "group": "团体标准"}


@dataclass(frozen=True, slots=True)
class AwardClaim:
    """What an organisation claims. `bases` are declared bases per party (R&D spending, contract value);
    `parties` names the organisation of each party when an item pays two; `basis` is the product,
    contract or expense the claim is about, which no other award or voucher may have paid."""

    organisation: str
    year: int
    basis: str
    evidence: frozenset[str]
    bases: Mapping[str, int] = field(default_factory=dict)
    parties: Mapping[str, str] = field(default_factory=dict)
    level: str | None = None
    reviewed_amount_fen: int | None = None


@dataclass(frozen=True, slots=True)
class PriorAward:
    """An award (or voucher redemption) already decided: what the checks compare against."""

    item: str
    family: str
    organisation: str
    year: int
    amount_fen: int
    basis: str
    tier: str | None = None


@dataclass(frozen=True, slots=True)
class AwardDecision:
    amounts: dict[str, tuple[str, int]]  # party -> (organisation, fen)
    tiers: tuple[str, ...]
    rules: list[tuple[str, str, str]]  # (rule id, zh, en), in the order they fired

    @property
    def total_fen(self) -> int:
        return sum(amount for _org, amount in self.amounts.values())


def _fact_key(template: str, year: int) -> str:
    return template.replace("{year}", str(year))


def check_eligibility(item: AwardItem, profile: OrganisationProfile, year: int) -> list[tuple[str, str, str]]:
    fired = []
    for req in item.eligibility:
        key = _fact_key(req.fact, year)
        fact = profile.facts.get(key)
        ok = fact is not None and (req.min is None or int(fact.value) >= req.min)
        if not ok:
            raise AwardRuleViolation(f"{req.message_en} / {req.message_zh}", rule=req.id)
        assert fact is not None
        fired.append((req.id, f"{req.message_zh}（{fact.source}，{fact.as_of}）",
                      f"{req.message_en} ({fact.source}, {fact.as_of})"))
    return fired


def decide(item: AwardItem, claim: AwardClaim, profile: OrganisationProfile, prior: Sequence[PriorAward]) -> AwardDecision:
    rules: list[tuple[str, str, str]] = []
    missing = [e for e in item.evidence if e[0] not in claim.evidence]
    if missing:
        eid, zh, en = missing[0]
        raise AwardRuleViolation(f"evidence missing: {en} / 缺少证明材料：{zh}", rule=f"{item.code}.evidence.{eid}")
    rules.append((f"{item.code}.evidence", "证明材料齐全", "required evidence supplied"))
    rules += check_eligibility(item, profile, claim.year)
    paid = [p for p in prior if p.basis == claim.basis]  # by any award (this one too, any party) or voucher
    if paid:
        raise DoubleBenefit(f"{claim.basis} was paid already under {paid[0].item} / {claim.basis} 已在 {paid[0].item} 中获得支持，"
                            "不得重复享受", rule=DOUBLE_BENEFIT)
    mine = [p for p in prior if p.organisation == claim.organisation]
    tiers: tuple[str, ...] = ()
    if item.kind == "tiered":
        amount, tiers, fired = _tiered(item, claim, profile, mine)
        rules += fired
        amounts = {"applicant": (claim.organisation, amount)}
    else:
        if item.kind != "schedule" and any(p.item == item.code for p in mine):
            raise AwardClaimedAlready(f"{item.title_en} is paid once per organisation / {item.title_zh}每家单位限享受一次",
                                      rule=f"{item.code}.once")
        amounts = {}
        for party in item.parties:
            organisation = claim.parties.get(party, claim.organisation) if len(item.parties) > 1 else claim.organisation
            amount, fired = _amount(item, claim, party)
            rules += fired
            amounts[party] = (organisation, amount)
    if item.annual_ceiling_fen is not None:
        used = sum(p.amount_fen for p in mine if p.family == item.family and p.year == claim.year)
        room = item.annual_ceiling_fen - used
        org, amount = amounts["applicant"]
        if room <= 0:
            raise AwardRuleViolation(f"the annual ceiling of {format_yuan(item.annual_ceiling_fen)} for {item.family} is reached"
                                     f" / 本年度同类奖励已达上限 {format_yuan(item.annual_ceiling_fen)}",
                                     rule=f"{item.family}.annual-ceiling")
        if amount > room:
            amounts["applicant"] = (org, room)
            rules.append((f"{item.family}.annual-ceiling", (f"本年度同类奖励上限 {format_yuan(item.annual_ceiling_fen)}，"
                          f"已获 {format_yuan(used)}，本次核定 {format_yuan(room)}"),
                          (f"annual ceiling {format_yuan(item.annual_ceiling_fen)}, {format_yuan(used)} paid, "
                          f"{format_yuan(room)} now")))
    return AwardDecision(amounts, tiers, rules)


def _amount(item: AwardItem, claim: AwardClaim, party: str) -> tuple[int, list[tuple[str, str, str]]]:
    if item.kind == "fixed":
        assert item.amount_fen is not None
        return item.amount_fen, [(f"{item.code}.amount", f"一次性奖励 {format_yuan(item.amount_fen)}",
                                  f"one-off award of {format_yuan(item.amount_fen)}")]
    if item.kind == "percentage":
        assert item.percent is not None and item.ceiling_fen is not None
        base = claim.bases.get(party)
        if base is None or base <= 0:
            raise AwardRuleViolation(f"a declared base for the {party} is needed / 需申报{party}的计算基数",
                                     rule=f"{item.code}.base.{party}")
        raw = base * item.percent // 100
        amount = min(raw, item.ceiling_fen)
        capped = "，按上限核定" if amount < raw else ""
        return amount, [(f"{item.code}.{party}", (f"{party}：{format_yuan(base)} × {item.percent}% = {format_yuan(raw)}"
                         f"{capped}（上限 {format_yuan(item.ceiling_fen)}）"),
                         (f"{party}: {format_yuan(base)} x {item.percent}% = {format_yuan(raw)}"
                         f"{', capped' if capped else ''} (ceiling {format_yuan(item.ceiling_fen)})"))]
    if item.kind == "schedule":
        levels = dict(item.levels)
        if claim.level not in levels:
            raise AwardRuleViolation(f"level must be one of {', '.join(levels)} / 级别须为 {'、'.join(levels)}",
                                     rule=f"{item.code}.level")
        level_zh = LEVEL_NAMES_ZH.get(claim.level, claim.level)
        return levels[claim.level], [(f"{item.code}.level.{claim.level}", f"{level_zh}：{format_yuan(levels[claim.level])}",
                                      f"{claim.level} level: {format_yuan(levels[claim.level])}")]
    assert item.kind == "reviewed" and item.ceiling_fen is not None
    if claim.reviewed_amount_fen is None or claim.reviewed_amount_fen <= 0:
        raise AwardRuleViolation("the expert review's amount is needed / 需专家评审核定金额", rule=f"{item.code}.review")
    amount = min(claim.reviewed_amount_fen, item.ceiling_fen)
    return amount, [(f"{item.code}.review", f"专家评审核定 {format_yuan(amount)}（上限 {format_yuan(item.ceiling_fen)}）",
                     f"expert review set {format_yuan(amount)} (ceiling {format_yuan(item.ceiling_fen)})")]


def _tiered(item: AwardItem, claim: AwardClaim, profile: OrganisationProfile,
            mine: Sequence[PriorAward]) -> tuple[int, tuple[str, ...], list[tuple[str, str, str]]]:
    assert item.measure is not None
    key = _fact_key(item.measure, claim.year)
    value = profile.number(key)
    if value is None:
        raise AwardRuleViolation(f"the profile has no {key} / 企业档案中没有 {key}", rule=f"{item.code}.measure")
    reached = [t for t in item.tiers if value >= t.threshold_fen]
    if not reached:
        raise AwardRuleViolation(f"{key} {format_yuan(value)} is below the first threshold / 未达到最低档",
                                 rule=f"{item.code}.tier.{item.tiers[0].id}")
    claimed = {p.tier for p in mine if p.item == item.code}
    new = [t for t in reached if t.id not in claimed]
    if not new:
        top = reached[-1]
        raise AwardClaimedAlready(f"the {top.id} threshold was awarded already: each threshold is paid once"
                                  f" / {top.id} 档已获奖励，每档限享受一次", rule=f"{item.code}.tier.{top.id}.once")
    name_zh, name_en = fact_name(key)
    rules = [(f"{item.code}.tier.{t.id}", f"{name_zh} {format_yuan(value)} 首次达到 {format_yuan(t.threshold_fen)}：{format_yuan(t.amount_fen)}",
              f"{name_en} {format_yuan(value)} first reached {format_yuan(t.threshold_fen)}: {format_yuan(t.amount_fen)}")
             for t in new]
    return sum(t.amount_fen for t in new), tuple(t.id for t in new), rules


def likely_award(item: AwardItem, profile: OrganisationProfile, year: int,
                 prior: Sequence[PriorAward]) -> tuple[int | None, list[tuple[str, str, str]]] | None:
    """政策计算器: what the organisation would likely receive from its profile and why, or None when a rule
    rules it out. Amounts the profile cannot fix (a declared base, a review) come back as None."""
    try:
        rules = check_eligibility(item, profile, year)
    except AwardRuleViolation:
        return None
    mine = [p for p in prior if p.organisation == profile.organisation]
    if item.kind == "tiered":
        try:
            amount, _tiers, fired = _tiered(item, AwardClaim(profile.organisation, year, "", frozenset()), profile, mine)
        except (AwardRuleViolation, AwardClaimedAlready):
            return None
        return amount, rules + fired
    if item.kind != "schedule" and any(p.item == item.code for p in mine):
        return None
    if item.kind == "fixed":
        assert item.amount_fen is not None
        return item.amount_fen, rules + [(f"{item.code}.amount", f"一次性奖励 {format_yuan(item.amount_fen)}",
                                          f"one-off award of {format_yuan(item.amount_fen)}")]
    if item.kind == "schedule":
        levels = [(lvl, amt) for lvl, amt in item.levels if profile.has(f"standard:{lvl}:{year}")]
        if not levels:
            return None
        total = sum(amt for _lvl, amt in levels)
        if item.annual_ceiling_fen is not None:
            total = min(total, item.annual_ceiling_fen)
        return total, rules + [(f"{item.code}.level.{lvl}", f"{lvl} 级标准：{format_yuan(amt)}", f"{lvl} standard: {format_yuan(amt)}")
                               for lvl, amt in levels]
    return None, rules + [(f"{item.code}.{item.kind}", "金额按申报基数或评审核定", "amount set by the declared base or review")]
