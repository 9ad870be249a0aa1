"""Worked cases for the six award items of the city's 2024 AI policy, read from their program files in
examples/awards/, plus the double-benefit check, the annual ceiling and the policy calculator."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from suanli.domain.awards import (
    AwardClaim,
    AwardRuleViolation,
    DoubleBenefit,
    InvalidAwardFile,
    PriorAward,
    RankedApplicant,
    decide,
    likely_award,
    parse_award_file,
    winners,
)
from suanli.domain.awards.errors import AwardClaimedAlready
from suanli.domain.profile import OrganisationProfile, ProfileFact

FILES = Path(__file__).resolve().parents[3] / "examples" / "awards"
WAN = 1_000_000  # fen in 1 万元


def item(name: str):  # type: ignore[no-untyped-def]
    return parse_award_file((FILES / f"{name}.yaml").read_text(encoding="utf-8"))


def profile(org: str = "zhixing", **facts: str) -> OrganisationProfile:
    return OrganisationProfile(org, {k.replace("__", ":"): ProfileFact(k.replace("__", ":"), v, "审计报告", date(2025, 3, 31))
                                     for k, v in facts.items()})


def claim(evidence: set[str], **extra: object) -> AwardClaim:
    values: dict[str, object] = {"organisation": "zhixing", "year": 2024, "basis": "product:交通大模型"}
    values.update(extra)
    return AwardClaim(evidence=frozenset(evidence), **values)  # type: ignore[arg-type]


SOFTWARE_EVIDENCE = {"software-copyright", "test-report", "first-contract"}


def test_first_version_software_pays_ten_percent_to_each_party_capped_at_2_5_million() -> None:
    software = item("first-version-software")
    facts = profile(certification__first_version_software="true")
    decision = decide(software, claim(SOFTWARE_EVIDENCE, bases={"developer": 3_000 * WAN, "first_user": 800 * WAN},
                                      parties={"developer": "zhixing", "first_user": "yilian"}), facts, [])
    assert decision.amounts == {"developer": ("zhixing", 250 * WAN), "first_user": ("yilian", 80 * WAN)}
    assert any("capped" in en for _rule, _zh, en in decision.rules)
    with pytest.raises(AwardRuleViolation) as missing:
        decide(software, claim({"software-copyright"}, bases={"developer": 1, "first_user": 1}), facts, [])
    assert missing.value.rule == "ai-2024-first-version-software.evidence.test-report"


def test_large_model_registration_pays_one_million_to_the_first_ten_by_registration_date() -> None:
    model = item("large-model-registration")
    assert (model.places, model.order_by) == (10, "registration:large_model")
    day = date(2024, 3, 1)
    applicants = [RankedApplicant(100 - n, f"org{n}", day + timedelta(days=n // 2)) for n in range(14)]
    chosen = winners(applicants, model.places)
    assert len(chosen) == 10 and [a.organisation for a in chosen][:2] == ["org1", "org0"]  # same day: earlier application
    decision = decide(model, claim({"registration-notice"}, basis="model:蓉城大模型"),
                      profile(registration__large_model="2024-03-01"), [])
    assert decision.total_fen == 100 * WAN


def test_revenue_thresholds_pay_each_threshold_once() -> None:
    growth = item("revenue-thresholds")
    facts = profile(revenue_fen__2024=str(62_000 * WAN), ai_revenue_share_pct__2024="72")
    first = decide(growth, claim({"audited-revenue"}, basis="revenue:zhixing:2024"), facts, [])
    assert (first.tiers, first.total_fen) == (("300m", "500m"), 30 * WAN)  # passed 3亿 and 5亿 in one year
    prior = [PriorAward(growth.code, growth.family, "zhixing", 2024, 10 * WAN, "revenue:zhixing:2024", tier=t)
             for t in first.tiers]
    with pytest.raises(AwardClaimedAlready) as again:
        decide(growth, claim({"audited-revenue"}, basis="revenue:zhixing:2025", year=2024), facts, prior)
    assert again.value.status == 409 and again.value.rule == "ai-2024-revenue-thresholds.tier.500m.once"
    low_share = profile(revenue_fen__2024=str(62_000 * WAN), ai_revenue_share_pct__2024="59")
    with pytest.raises(AwardRuleViolation, match="60%") as share:
        decide(growth, claim({"audited-revenue"}), low_share, [])
    assert share.value.rule == "revenue.ai-share"


def test_little_giant_pays_three_hundred_thousand_once() -> None:
    giant = item("little-giant")
    facts = profile(certification__little_giant="true")
    decision = decide(giant, claim({"naming-document"}, basis="naming:2024"), facts, [])
    assert decision.total_fen == 30 * WAN
    with pytest.raises(AwardClaimedAlready) as twice:
        decide(giant, claim({"naming-document"}, basis="naming:2025"), facts,
               [PriorAward(giant.code, giant.family, "zhixing", 2024, 30 * WAN, "naming:2024")])
    assert twice.value.rule == "ai-2024-little-giant.once"


def test_standards_pay_by_level_within_one_million_per_year() -> None:
    standards = item("standards")
    facts = profile()
    prior = [PriorAward(standards.code, standards.family, "zhixing", 2024, 60 * WAN, "standard:ISO-1"),
             PriorAward(standards.code, standards.family, "zhixing", 2024, 25 * WAN, "standard:YD-2")]
    decision = decide(standards, claim({"standard-publication"}, basis="standard:GB-3", level="national"), facts, prior)
    assert decision.total_fen == 15 * WAN  # 40万 asked, 85万 paid this year: 15万 left under the 100万 ceiling
    assert decision.rules[-1][0] == "ai-2024-standards.annual-ceiling"
    full = [*prior, PriorAward(standards.code, standards.family, "zhixing", 2024, 15 * WAN, "standard:GB-3")]
    with pytest.raises(AwardRuleViolation) as reached:
        decide(standards, claim({"standard-publication"}, basis="standard:GB-4", level="industry"), facts, full)
    assert reached.value.rule == "ai-2024-standards.annual-ceiling"
    next_year = decide(standards, claim({"standard-publication"}, basis="standard:GB-4", level="industry", year=2025),
                       facts, full)
    assert next_year.total_fen == 25 * WAN


def test_major_project_conversion_pays_the_reviewed_amount_up_to_ten_million() -> None:
    conversion = item("major-project-conversion")
    evidence = {"project-acceptance", "product-launch"}
    assert decide(conversion, claim(evidence, reviewed_amount_fen=1_200 * WAN), profile(), []).total_fen == 1_000 * WAN
    assert decide(conversion, claim(evidence, reviewed_amount_fen=650 * WAN), profile(), []).total_fen == 650 * WAN
    with pytest.raises(AwardRuleViolation) as unreviewed:
        decide(conversion, claim(evidence), profile(), [])
    assert unreviewed.value.rule == "ai-2024-major-project-conversion.review"


def test_one_product_is_never_paid_twice_across_programs() -> None:
    software = item("first-version-software")
    facts = profile(certification__first_version_software="true")
    voucher = PriorAward("voucher:chengdu-2023", "vouchers", "zhixing", 2024, 20 * WAN, "product:交通大模型")
    with pytest.raises(DoubleBenefit) as twice:
        decide(software, claim(SOFTWARE_EVIDENCE, bases={"developer": 100 * WAN, "first_user": 100 * WAN}), facts, [voucher])
    assert twice.value.status == 409 and twice.value.rule == "cross-program.double-benefit"


def test_a_malformed_award_file_names_line_and_field() -> None:
    text = (FILES / "standards.yaml").read_text(encoding="utf-8").replace("kind: schedule", "kind: lottery")
    with pytest.raises(InvalidAwardFile, match=r"line \d+: award.kind"):
        parse_award_file(text)


def test_the_policy_calculator_says_what_an_organisation_would_receive_and_why() -> None:
    facts = profile(revenue_fen__2024=str(31_000 * WAN), ai_revenue_share_pct__2024="65", certification__little_giant="true")
    growth = likely_award(item("revenue-thresholds"), facts, 2024, [])
    assert growth is not None and growth[0] == 10 * WAN and any("300m" in rule for rule, _zh, _en in growth[1])
    assert likely_award(item("little-giant"), facts, 2024, [])[0] == 30 * WAN  # type: ignore[index]
    assert likely_award(item("large-model-registration"), facts, 2024, []) is None
