"""Worked cases for the five further shipped policies (issue 14): Hangzhou 2024 (ratios by what is
bought: domestic compute and model services 30%, other compute 20%; 8 million yuan a year per
enterprise), Henan 2025 (20% of the usage fee, 1 million yuan a year per user, the province and the
city paying 1:1), Shenzhen Guangming 2025 (30%, 6 million yuan a year), Shenzhen Longgang 2024
(30%, 6 million yuan, large-model work only) and Shanxi's cloud vouchers 2018 (a reward ladder by
amount, contracts from 2018 on, at most 1 million yuan)."""

from __future__ import annotations

from datetime import date

from suanli.domain.money import yuan
from suanli.domain.vouchers import (
    Application,
    CapMode,
    ItemKind,
    Order,
    Side,
    check_application,
    grant_amount,
)
from suanli.domain.vouchers import redemption_amount as redeem
from suanli.domain.vouchers.funders import funder_split
from suanli.domain.vouchers.program import Evidence
from suanli.domain.vouchers.ratios import OrderLine

UPLOADED = frozenset({Evidence.CONTRACT, Evidence.INVOICE})


def contract(amount_fen: int, provider: str, *lines: OrderLine, signed_on: date = date(2024, 9, 1),
             documents: frozenset[Evidence] = UPLOADED) -> Order:
    return Order(ItemKind.COMPUTE, amount_fen, provider, "contract:9:hz-1", Side.DEMAND, True, True, True,
                 items=lines, signed_on=signed_on, term_months=12, documents=documents)


# Hangzhou 2024


def test_hangzhou_pays_thirty_percent_for_domestic_compute_and_model_services_twenty_for_other(load, org, wallet) -> None:
    program = load("hangzhou-2024")
    order = contract(yuan(1_000_000), "hz-aicc",
                     OrderLine(ItemKind.COMPUTE, yuan(500_000), "cann", True),      # domestic: 30%
                     OrderLine(ItemKind.COMPUTE, yuan(300_000), "cuda", False),     # other compute: 20%
                     OrderLine(ItemKind.MODEL_SERVICES, yuan(200_000)))             # MaaS: 30%
    decision = redeem(program, order, buyer=org(city="杭州"), wallet=wallet(yuan(8_000_000)), today=date(2024, 10, 1))
    assert decision.allowed and decision.amount_fen == yuan(150_000 + 60_000 + 60_000)
    assert "ratio.domestic-compute" in decision.rule_ids()


def test_hangzhou_refuses_an_unpaid_contract_and_a_provider_outside_its_layout(load, org, wallet) -> None:
    program = load("hangzhou-2024")
    unpaid = Order(ItemKind.COMPUTE, yuan(100_000), "hz-aicc", "contract:9:hz-2", Side.DEMAND, True, True, False)
    assert redeem(program, unpaid, buyer=org(), wallet=wallet(), today=date(2024, 10, 1)).failed.id == "order.contract-paid"
    elsewhere = contract(yuan(100_000), "shanghai-dc")
    decision = redeem(program, elsewhere, buyer=org(), wallet=wallet(), today=date(2024, 10, 1))
    assert decision.failed.id == "order.designated-provider"


def test_hangzhou_caps_an_enterprise_at_eight_million_yuan_a_year_across_the_citys_programs(load) -> None:
    program = load("hangzhou-2024")
    decision = grant_amount(program, amount_fen=yuan(3_000_000), project_class=None, organisation_granted_fen=0,
                            budget_left_fen=program.budget_fen, issuer_year_granted_fen=yuan(6_000_000),
                            mode=CapMode.LIMIT)
    assert decision.amount_fen == yuan(2_000_000) and "cap.issuer-year" in decision.rule_ids()
    assert program.budget_fen == yuan(250_000_000)


# Henan 2025


def test_henan_pays_twenty_percent_and_the_province_and_city_share_each_grant(load, org, order, wallet) -> None:
    program = load("henan-2025")
    decision = redeem(program, order(amount_fen=yuan(1_234_567), provider="zhengzhou-aicc"), buyer=org(city="郑州"),
                      wallet=wallet(yuan(1_000_000)), today=date(2025, 10, 1))
    assert decision.amount_fen == yuan(246_913) + 40  # 20% of ¥1,234,567.00 = ¥246,913.40
    assert funder_split(program, yuan(1_000_000)) == {"province": yuan(500_000), "city": yuan(500_000)}
    assert funder_split(program, 333) == {"province": 167, "city": 166}  # the odd fen: the lead funder


def test_henan_caps_a_user_at_one_million_yuan_a_year_and_admits_universities(load, org) -> None:
    program = load("henan-2025")
    capped = grant_amount(program, amount_fen=yuan(400_000), project_class=None, organisation_granted_fen=0,
                          budget_left_fen=program.budget_fen, issuer_year_granted_fen=yuan(700_000))
    assert capped.failed.id == "cap.issuer-year"
    university = org("university", city="郑州")
    assert check_application(program, Application(university, yuan(100_000)), date(2025, 10, 1)).allowed
    maker = org("maker", city="郑州")
    assert check_application(program, Application(maker, yuan(100_000)), date(2025, 10, 1)).failed.id == "org.user-type"


def test_henan_stops_granting_when_one_funders_budget_is_spent(load) -> None:
    program = load("henan-2025")
    # The city has granted ¥24,990,000 of its ¥25,000,000: at most ¥20,000 more in all (half is the city's).
    decision = grant_amount(program, amount_fen=yuan(100_000), project_class=None, organisation_granted_fen=0,
                            budget_left_fen=yuan(100_000), mode=CapMode.LIMIT,
                            funder_granted={"province": yuan(24_990_000), "city": yuan(24_990_000)})
    assert decision.amount_fen == yuan(20_000)


# Shenzhen Guangming 2025


def test_guangming_pays_thirty_percent_of_the_paid_procurement(load, org, order, wallet) -> None:
    program = load("shenzhen-guangming-2025")
    paid = Order(ItemKind.COMPUTE, yuan(2_000_000), "gm-center", "contract:9:gm-1", Side.DEMAND, True, True, True)
    decision = redeem(program, paid, buyer=org(city="深圳"), wallet=wallet(yuan(6_000_000)), today=date(2025, 7, 1))
    assert decision.amount_fen == yuan(600_000)


def test_guangming_caps_an_enterprise_at_six_million_yuan_a_year_and_refuses_other_cities(load, org) -> None:
    program = load("shenzhen-guangming-2025")
    capped = grant_amount(program, amount_fen=yuan(6_000_001), project_class=None, organisation_granted_fen=0,
                          budget_left_fen=program.budget_fen)
    assert capped.failed.id == "cap.issuer-year"
    outside = check_application(program, Application(org(city="广州"), yuan(10_000)), date(2025, 7, 1))
    assert outside.failed.id == "org.registered-in-district"


# Shenzhen Longgang 2024


def test_longgang_pays_thirty_percent_up_to_six_million_yuan_for_large_model_work(load, org, wallet) -> None:
    program = load("shenzhen-longgang-2024")
    builder = org(city="深圳", sectors={"large-models"})
    assert check_application(program, Application(builder, yuan(1_000_000)), date(2024, 8, 1)).allowed
    retailer = check_application(program, Application(org(city="深圳", sectors={"retail"}), 100), date(2024, 8, 1))
    assert retailer.failed.id == "org.large-model-work"
    paid = Order(ItemKind.COMPUTE, yuan(1_000_000), "lg-center", "contract:9:lg-1", Side.DEMAND, True, True, True)
    assert redeem(program, paid, buyer=builder, wallet=wallet(yuan(6_000_000)), today=date(2024, 8, 1)).amount_fen == yuan(300_000)
    over = grant_amount(program, amount_fen=yuan(1_000_000), project_class=None,
                        organisation_granted_fen=yuan(5_500_000), budget_left_fen=program.budget_fen)
    assert over.failed.id == "cap.organisation"


# Shanxi cloud vouchers 2018


def test_shanxi_rewards_along_the_ladder(load, org, wallet) -> None:
    program = load("shanxi-cloud-2018")
    # ¥2,500,000 of cloud spending: 30% of ¥500,000 + 20% of ¥1,500,000 + 10% of ¥500,000 = ¥500,000
    order = contract(yuan(2_500_000), "any-cloud", OrderLine(ItemKind.COMPUTE, yuan(2_000_000)),
                     OrderLine(ItemKind.STORAGE, yuan(500_000)), signed_on=date(2019, 3, 1))
    decision = redeem(program, order, buyer=org(city="太原"), wallet=wallet(yuan(1_000_000)), today=date(2019, 6, 1))
    assert decision.allowed and decision.amount_fen == yuan(150_000 + 300_000 + 50_000)
    assert "ratio.tiered" in decision.rule_ids()


def test_shanxi_refuses_contracts_signed_before_2018(load, org, wallet) -> None:
    program = load("shanxi-cloud-2018")
    old = contract(yuan(100_000), "any-cloud", signed_on=date(2017, 12, 31))
    decision = redeem(program, old, buyer=org(), wallet=wallet(), today=date(2019, 6, 1))
    assert decision.failed.id == "contract.signed-after"


def test_shanxi_refuses_a_claim_until_the_contract_and_invoice_are_uploaded_to_the_record(load, org, wallet) -> None:
    program = load("shanxi-cloud-2018")
    bare = contract(yuan(100_000), "any-cloud", signed_on=date(2019, 3, 1), documents=frozenset({Evidence.INVOICE}))
    decision = redeem(program, bare, buyer=org(), wallet=wallet(), today=date(2019, 6, 1))
    assert decision.failed.id == "claim.documents" and "contract" in decision.failed.en


def test_shanxi_asks_for_the_contract_and_the_invoice_at_the_platform_stage(load) -> None:
    program = load("shanxi-cloud-2018")
    assert [e.value for e in program.review_stages[0].requires] == ["contract", "invoice"]
    assert program.caps.per_organisation_fen == yuan(1_000_000)


def test_guangming_refuses_an_enterprise_on_the_dishonesty_list_on_the_recorded_fact(load, org) -> None:
    from suanli.domain.profile import ProfileFact

    program = load("shenzhen-guangming-2025")
    listed = org(city="深圳", profile=(ProfileFact("credit:dishonest", "true", "信用中国", date(2025, 5, 1)),))
    decision = check_application(program, Application(listed, yuan(10_000)), date(2025, 7, 1))
    assert decision.failed.id == "org.credit-record" and "信用中国" in decision.failed.zh
    assert check_application(program, Application(org(city="深圳"), yuan(10_000)), date(2025, 7, 1)).allowed
