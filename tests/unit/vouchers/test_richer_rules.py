"""Worked cases for the richer program rules (issue 14): ratios by item property (ecosystem, domestic
hardware, center, kind), tiered ratios by amount (marginal and whole), the caps per organisation and
calendar year across one issuer's programs, co-funding by several funders under a combined ceiling,
and management costs inside or outside the budget. Pure: program text in, decisions out."""

from __future__ import annotations

from datetime import date

import pytest

from suanli.domain.money import yuan
from suanli.domain.organisations import OrganisationFacts, OrganisationType
from suanli.domain.vouchers import (
    CapMode,
    InvalidProgramFile,
    ItemKind,
    Order,
    Side,
    Wallet,
    grant_amount,
    parse_program,
    redemption_amount,
)
from suanli.domain.vouchers.funders import funder_split
from suanli.domain.vouchers.ratios import OrderLine

HEAD = ("id: rich\ntitle: {zh: 测试, en: test}\nissuer: {zh: 某市数据局, en: city data bureau}\nyear: 2025\n"
        "side: demand\nsettlement: reimbursement\napply_and_enjoy: true\nvalidity: {valid_days: 365}\n"
        "orders: {through_platform: false}\n")
BUYER = OrganisationFacts("acme", OrganisationType.ENTERPRISE, "某市", frozenset())
WALLET = Wallet(yuan(10_000_000), date(2099, 12, 31))
DAY = date(2025, 6, 1)


def program(body: str, budget_yuan: int = 100_000_000):  # type: ignore[no-untyped-def]
    return parse_program(HEAD + f"budget_fen: {yuan(budget_yuan)}\n" + body)


def claim(p, *lines: OrderLine, amount_fen: int | None = None):  # type: ignore[no-untyped-def]
    total = sum(line.amount_fen for line in lines) if amount_fen is None else amount_fen
    order = Order(ItemKind.COMPUTE, total, "center-a", "contract:9:c-1", Side.DEMAND, True, True, True, items=lines)
    return redemption_amount(p, order, buyer=BUYER, wallet=WALLET, today=DAY)


PROPERTY_RATIOS = """\
demand:
  ratios: {compute: 20, storage: 10}
  ratio_rules:
    - id: ratio.domestic-cann
      when: {kinds: [compute], domestic: true, ecosystems: [cann]}
      percent: 50
      message: {zh: 国产昇腾算力, en: domestic Ascend compute}
    - id: ratio.domestic
      when: {domestic: true}
      percent: 40
    - id: ratio.center-b
      when: {centers: [center-b]}
      percent: 30
"""


def test_a_ratio_follows_the_items_properties_first_matching_rule_wins() -> None:
    p = program(PROPERTY_RATIOS)
    # ¥100,000 domestic Ascend (50%) + ¥100,000 domestic other (40%) + ¥100,000 CUDA at center-b (30%)
    # + ¥100,000 CUDA elsewhere (the compute ratio, 20%) + ¥100,000 storage (10%)
    decision = claim(p, OrderLine(ItemKind.COMPUTE, yuan(100_000), "cann", True, "center-a"),
                     OrderLine(ItemKind.COMPUTE, yuan(100_000), "mlu", True, "center-a"),
                     OrderLine(ItemKind.COMPUTE, yuan(100_000), "cuda", False, "center-b"),
                     OrderLine(ItemKind.COMPUTE, yuan(100_000), "cuda", False, "center-a"),
                     OrderLine(ItemKind.STORAGE, yuan(100_000), None, None, "center-a"))
    assert decision.allowed and decision.amount_fen == yuan(50_000 + 40_000 + 30_000 + 20_000 + 10_000)
    fired = [r.id for r in decision.rules if r.id.startswith("ratio")]
    assert fired == ["ratio.domestic-cann", "ratio.domestic", "ratio.center-b", "ratio", "ratio"]
    ascend = next(r for r in decision.rules if r.id == "ratio.domestic-cann")
    assert "国产昇腾算力" in ascend.zh and "50%" in ascend.zh and "domestic Ascend compute" in ascend.en


def test_an_item_without_the_property_does_not_match_a_rule_that_requires_it() -> None:
    unknown = claim(program(PROPERTY_RATIOS), OrderLine(ItemKind.COMPUTE, yuan(100_000), "cann", None, "center-a"))
    assert unknown.amount_fen == yuan(20_000)  # domestic not attested: the plain compute ratio


def test_a_kind_the_program_does_not_subsidise_stays_refused_whatever_its_properties() -> None:
    decision = claim(program(PROPERTY_RATIOS), OrderLine(ItemKind.DATA, yuan(1_000), "cann", True, "center-b"))
    assert decision.failed is not None and decision.failed.id == "order.item-kind"


TIERS = """\
demand:
  ratios: {compute: 30, storage: 10}
  tiers:
    kinds: [compute]
    mode: MODE
    bands:
      - {from_fen: 0, percent: 30}
      - {from_fen: 100_000_000, percent: 20}
      - {from_fen: 500_000_000, percent: 10}
"""


@pytest.mark.parametrize(("mode", "contract_yuan", "share_yuan"), [
    # marginal: 30% of the first ¥1,000,000, 20% of the next ¥4,000,000, 10% above ¥5,000,000
    ("marginal", 600_000, 180_000),
    ("marginal", 1_500_000, 300_000 + 100_000),
    ("marginal", 6_000_000, 300_000 + 800_000 + 100_000),
    # whole: the band the whole contract reaches
    ("whole", 600_000, 180_000),
    ("whole", 1_500_000, 300_000),
    ("whole", 6_000_000, 600_000),
])
def test_tiered_ratios_by_amount(mode: str, contract_yuan: int, share_yuan: int) -> None:
    p = program(TIERS.replace("MODE", mode), budget_yuan=100_000_000)
    wallet = Wallet(yuan(10_000_000), date(2099, 12, 31))
    order = Order(ItemKind.COMPUTE, yuan(contract_yuan), "center-a", "contract:9:t", Side.DEMAND, True, True, True)
    decision = redemption_amount(p, order, buyer=BUYER, wallet=wallet, today=DAY)
    assert decision.allowed and decision.amount_fen == yuan(share_yuan)
    assert "ratio.tiered" in decision.rule_ids()


def test_tiers_add_up_a_contracts_lines_of_the_tiered_kinds_so_splitting_it_gains_nothing() -> None:
    p = program(TIERS.replace("MODE", "marginal"))
    whole = claim(p, OrderLine(ItemKind.COMPUTE, yuan(1_500_000)))
    split = claim(p, *[OrderLine(ItemKind.COMPUTE, yuan(500_000))] * 3)
    mixed = claim(p, OrderLine(ItemKind.COMPUTE, yuan(1_500_000)), OrderLine(ItemKind.STORAGE, yuan(100_000)))
    assert whole.amount_fen == split.amount_fen == yuan(400_000)
    assert mixed.amount_fen == yuan(400_000 + 10_000)  # storage keeps its own ratio


def test_bands_must_start_at_zero_and_ascend() -> None:
    bad = TIERS.replace("MODE", "marginal").replace("from_fen: 0,", "from_fen: 5,")
    with pytest.raises(InvalidProgramFile, match="bands start at from_fen 0"):
        program(bad)


def test_the_cap_per_organisation_and_year_counts_every_program_of_the_issuer() -> None:
    p = program("demand:\n  ratios: {compute: 30}\ncaps: {per_organisation_issuer_year_fen: 50_000_000}\n")
    # ¥500,000 a year across the issuer's programs; ¥420,000 already granted by another of its programs.
    limited = grant_amount(p, amount_fen=yuan(200_000), project_class=None, organisation_granted_fen=0,
                           budget_left_fen=yuan(100_000_000), mode=CapMode.LIMIT, issuer_year_granted_fen=yuan(420_000))
    assert limited.amount_fen == yuan(80_000) and "cap.issuer-year" in limited.rule_ids()
    strict = grant_amount(p, amount_fen=yuan(200_000), project_class=None, organisation_granted_fen=0,
                          budget_left_fen=yuan(100_000_000), issuer_year_granted_fen=yuan(420_000))
    assert strict.failed is not None and strict.failed.id == "cap.issuer-year"
    assert "同一主管部门全年单位上限" in strict.failed.zh


FUNDED = """\
demand:
  ratios: {compute: 30}
funders:
  - {id: city, name: {zh: 市财政, en: city finance}, budget_fen: 60_000_000, share_percent: 60}
  - {id: district, name: {zh: 区财政, en: district finance}, budget_fen: 30_000_000, share_percent: 40}
"""


def test_co_funding_splits_each_grant_and_the_remainder_fen_goes_to_the_lead_funder() -> None:
    p = program(FUNDED, budget_yuan=1_000_000)  # combined ceiling ¥1,000,000; city ¥600,000, district ¥300,000
    assert funder_split(p, yuan(100_000)) == {"city": yuan(60_000), "district": yuan(40_000)}
    assert funder_split(p, 101) == {"city": 61, "district": 40}  # 60.6 + 40.4: the lead funder takes the fen


def test_a_grant_stops_at_the_first_funder_whose_budget_runs_out() -> None:
    p = program(FUNDED, budget_yuan=1_000_000)
    # The district has ¥300,000 and pays 40%: about ¥750,000 can be granted in all. Exactly: its part
    # rounds down, so ¥750,000.02 costs it floor(30,000,000.8) = 30,000,000 fen, its whole budget.
    limited = grant_amount(p, amount_fen=yuan(900_000), project_class=None, organisation_granted_fen=0,
                           budget_left_fen=yuan(1_000_000), mode=CapMode.LIMIT, funder_granted={})
    assert limited.amount_fen == 75_000_002
    assert funder_split(p, limited.amount_fen) == {"city": 45_000_002, "district": 30_000_000}
    district = [r for r in limited.rules if r.id == "budget.funder" and "区财政" in r.zh]
    assert district and district[0].outcome.value == "limited"
    # After ¥700,000 was granted (city ¥420,000, district ¥280,000) the district has ¥20,000: ¥50,000 more.
    after = grant_amount(p, amount_fen=yuan(100_000), project_class=None, organisation_granted_fen=0,
                         budget_left_fen=yuan(300_000), mode=CapMode.STRICT,
                         funder_granted={"city": yuan(420_000), "district": yuan(280_000)})
    assert after.failed is not None and after.failed.id == "budget.funder" and "¥20,000.00" in after.failed.en
    fits = grant_amount(p, amount_fen=yuan(50_000), project_class=None, organisation_granted_fen=0,
                        budget_left_fen=yuan(300_000), funder_granted={"city": yuan(420_000), "district": yuan(280_000)})
    assert fits.allowed and fits.amount_fen == yuan(50_000)


def test_funder_shares_must_add_up_to_one_hundred() -> None:
    with pytest.raises(InvalidProgramFile, match="add up to 100"):
        program(FUNDED.replace("share_percent: 40", "share_percent: 30"))


def test_management_costs_round_up_and_leave_the_rest_to_grant() -> None:
    inside = program("demand:\n  ratios: {compute: 30}\nmanagement_cost_percent: 3\n", budget_yuan=1_000_000)
    assert inside.management_costs_fen() == yuan(30_000) and inside.grantable_fen() == yuan(970_000)
    odd = parse_program(HEAD + "budget_fen: 1_000_001\ndemand:\n  ratios: {compute: 30}\nmanagement_cost_percent: 3\n")
    assert odd.management_costs_fen() == 30_001 and odd.grantable_fen() == 970_000  # 30,000.03 fen rounds up
    outside = program("demand:\n  ratios: {compute: 30}\nmanagement_costs: outside_budget\nmanagement_cost_percent: 3\n",
                      budget_yuan=1_000_000)
    assert outside.management_costs_fen() == yuan(30_000) and outside.grantable_fen() == yuan(1_000_000)


FACTS = """\
demand:
  ratios: {compute: 30}
eligibility:
  - id: org.credit
    require:
      facts: [{key: "credit:dishonest", present: false}]
    message: {zh: 未被列入失信被执行人名单, en: not on the list of dishonest persons subject to enforcement}
  - id: org.revenue-and-rd
    when: {types: [enterprise]}
    require:
      facts:
        - {key: "revenue_fen:2024", min: 500_000_000, max_age_days: 400}
        - {key: "rd_share_pct:2024", min: 5}
    message: {zh: 上年主营业务收入不低于500万元且研发投入占比不低于5%, en: last year's revenue at least 5 million yuan and R&D at least 5%}
  - id: org.little-giant
    require:
      facts: [{key: "certification:little_giant", equals: "true"}]
    message: {zh: 须为专精特新"小巨人"企业, en: a specialised "little giant" enterprise}
"""


def _with(*facts: tuple[str, str, str, date]) -> OrganisationFacts:
    from suanli.domain.profile import ProfileFact

    return OrganisationFacts("acme", OrganisationType.ENTERPRISE, "某市", frozenset(),
                             profile=tuple(ProfileFact(k, v, s, d) for k, v, s, d in facts))


def test_profile_facts_with_their_source_and_date_decide_eligibility() -> None:
    from suanli.domain.vouchers import Application, check_application

    p = program(FACTS)
    good = _with(("revenue_fen:2024", "800000000", "2024 年度审计报告", date(2025, 3, 31)),
                 ("rd_share_pct:2024", "6.5", "2024 年度审计报告", date(2025, 3, 31)),
                 ("certification:little_giant", "true", "工信部公告", date(2024, 7, 1)))
    ok = check_application(p, Application(good, yuan(100_000)), DAY)
    assert ok.allowed, ok.explain()
    revenue = next(r for r in ok.rules if r.id == "org.revenue-and-rd")
    assert "来源：2024 年度审计报告" in revenue.zh and "2025-03-31" in revenue.en

    dishonest = _with(*[(f.key, f.value, f.source, f.as_of) for f in good.profile],
                      ("credit:dishonest", "true", "信用中国", date(2025, 5, 1)))
    refused = check_application(p, Application(dishonest, yuan(100_000)), DAY)
    assert refused.failed is not None and refused.failed.id == "org.credit" and "信用中国" in refused.failed.zh

    cleared = _with(*[(f.key, f.value, f.source, f.as_of) for f in good.profile],
                    ("credit:dishonest", "false", "信用中国", date(2025, 5, 1)))
    assert check_application(p, Application(cleared, yuan(100_000)), DAY).allowed


def test_a_low_missing_or_stale_fact_refuses_with_the_rule_named() -> None:
    from suanli.domain.vouchers import Application, check_application

    p = program(FACTS)
    base = [("rd_share_pct:2024", "6.5", "审计报告", date(2025, 3, 31)),
            ("certification:little_giant", "true", "工信部公告", date(2024, 7, 1))]
    low = _with(("revenue_fen:2024", "400000000", "审计报告", date(2025, 3, 31)), *base)
    stale = _with(("revenue_fen:2024", "800000000", "审计报告", date(2024, 1, 1)), *base)  # 517 days before
    missing = _with(*base)
    for org in (low, stale, missing):
        decision = check_application(p, Application(org, yuan(100_000)), DAY)
        assert decision.failed is not None and decision.failed.id == "org.revenue-and-rd"
    assert "未登记 revenue_fen:2024" in check_application(p, Application(missing, 1), DAY).failed.zh
