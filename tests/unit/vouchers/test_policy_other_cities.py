"""Worked cases for the other shipped policies: Chengdu 2024 (both sides), Shanghai (80%), Yangzhou
(affiliation, contract paid, double claim), Langfang (compute service), Qingyang (provider xor user,
scale), Guizhou (data and model purchases, apply and enjoy at once)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from suanli.domain.money import yuan
from suanli.domain.vouchers import (
    Application,
    CapMode,
    ItemKind,
    PriorClaim,
    Side,
    check_application,
    claim_key,
    grant_amount,
    redemption_amount,
)
from suanli.domain.vouchers.program import Evidence

# Chengdu 2024: one program, two sides, separate rules


def test_chengdu_2024_pays_each_side_under_its_own_ratio_but_one_bill_only_once(load, org, order, wallet) -> None:
    """Both sides are paid under separate rules, each on its own bills (the user's compute purchase,
    the provider's operating cost); the same bill is never paid to both (issue 14: one claim per bill)."""
    program = load("chengdu-2024-supply")
    day = date(2024, 3, 1)
    user = redemption_amount(program, order(amount_fen=100_000), buyer=org(), wallet=wallet(), today=day)
    supply = order(amount_fen=100_000, side=Side.SUPPLY, basis="contract:7:ops-2024-01")
    provider = redemption_amount(program, supply, buyer=org("provider"), wallet=wallet(), today=day)
    assert (user.amount_fen, provider.amount_fen) == (30_000, 10_000)
    same_bill = order(amount_fen=100_000, side=Side.SUPPLY)
    prior = [PriorClaim("chengdu-2024-supply", Side.DEMAND)]
    twice = redemption_amount(program, same_bill, buyer=org("provider"), wallet=wallet(), today=day, prior=prior)
    assert twice.failed is not None and twice.failed.id == "order.double-claim"
    assert claim_key(order()) == claim_key(same_bill)


def test_chengdu_2024_refuses_the_same_side_claiming_the_same_usage_twice(load, org, order, wallet) -> None:
    program = load("chengdu-2024-supply")
    prior = [PriorClaim("chengdu-2023", Side.DEMAND)]
    decision = redemption_amount(program, order(), buyer=org(), wallet=wallet(), today=date(2024, 3, 1), prior=prior)
    assert decision.failed.id == "order.double-claim"


def test_chengdu_2024_caps_each_organisation(load) -> None:
    program = load("chengdu-2024-supply")
    decision = grant_amount(program, amount_fen=yuan(600_000), project_class=None,
                            organisation_granted_fen=yuan(1_000_000), budget_left_fen=program.budget_fen)
    assert decision.failed.id == "cap.organisation"


# Shanghai: up to 80% for large-model companies


def test_shanghai_pays_eighty_percent_of_ai_compute_rental(load, org, order, wallet) -> None:
    program = load("shanghai-2023")
    buyer = org(city="上海", sectors={"large-models"})
    assert check_application(program, Application(buyer, yuan(1_000_000)), date(2023, 8, 1)).allowed
    decision = redemption_amount(program, order(amount_fen=123_457), buyer=buyer, wallet=wallet(), today=date(2023, 8, 1))
    assert decision.amount_fen == 98_765  # 98,765.6 rounds down
    assert any("80%" in r.en for r in decision.rules)


def test_shanghai_refuses_a_company_that_does_not_build_large_models(load, org) -> None:
    program = load("shanghai-2023")
    decision = check_application(program, Application(org(city="上海", sectors={"retail"}), 100), date(2023, 8, 1))
    assert decision.failed.id == "org.large-model-company"


def test_shanghai_budget_is_six_hundred_million_yuan(load) -> None:
    assert load("shanghai-2023").budget_fen == yuan(600_000_000)


# Yangzhou: local firms, through the platform, no affiliation, contract signed and paid, never twice


@pytest.fixture
def yangzhou(load):
    return load("yangzhou")


@pytest.fixture
def paid(order):
    return lambda **kw: order(basis="contract:YZ-2024-001", contract_signed=True, contract_paid=True, **kw)


def test_yangzhou_accepts_a_local_ai_firm_with_its_contract_and_invoice(yangzhou, org) -> None:
    app = Application(org(city="扬州", sectors={"ai"}), yuan(10_000), evidence=frozenset({Evidence.CONTRACT,
                                                                                        Evidence.INVOICE}))
    assert check_application(yangzhou, app, date(2024, 5, 1)).allowed


def test_yangzhou_refuses_a_firm_outside_the_priority_industries_and_one_without_evidence(yangzhou, org) -> None:
    outside = Application(org(city="扬州", sectors={"retail"}), 100, evidence=frozenset(Evidence))
    assert check_application(yangzhou, outside, date(2024, 5, 1)).failed.id == "org.priority-industry"
    bare = Application(org(city="扬州", sectors={"ai"}), 100)
    assert check_application(yangzhou, bare, date(2024, 5, 1)).failed.id == "scale.evidence"


def test_yangzhou_refuses_a_purchase_from_an_affiliated_provider(yangzhou, org, paid, wallet) -> None:
    buyer = org(city="扬州", affiliated_providers={"nscc-chengdu"})
    decision = redemption_amount(yangzhou, paid(), buyer=buyer, wallet=wallet(), today=date(2024, 5, 1))
    assert decision.failed.id == "order.no-affiliation"
    assert "关联关系" in decision.failed.zh


def test_yangzhou_refuses_redemption_before_the_contract_is_paid(yangzhou, org, order, wallet) -> None:
    unpaid = order(basis="contract:YZ-2024-002", contract_signed=True, contract_paid=False)
    decision = redemption_amount(yangzhou, unpaid, buyer=org(city="扬州"), wallet=wallet(), today=date(2024, 5, 1))
    assert decision.failed.id == "order.contract-paid"


def test_yangzhou_never_subsidises_the_same_contract_twice_by_any_city_fund(yangzhou, org, paid, wallet) -> None:
    prior = [PriorClaim("yangzhou-ai-fund", Side.DEMAND)]
    decision = redemption_amount(yangzhou, paid(), buyer=org(city="扬州"), wallet=wallet(), today=date(2024, 5, 1),
                                 prior=prior)
    assert decision.failed.id == "order.double-claim"


def test_yangzhou_counts_only_compute_ordered_through_the_city_platform(yangzhou, org, paid, wallet) -> None:
    decision = redemption_amount(yangzhou, paid(through_platform=False), buyer=org(city="扬州"), wallet=wallet(),
                                 today=date(2024, 5, 1))
    assert decision.failed.id == "order.through-platform"


def test_yangzhou_redeems_thirty_percent_of_a_paid_contract(yangzhou, org, paid, wallet) -> None:
    decision = redemption_amount(yangzhou, paid(amount_fen=yuan(10_000)), buyer=org(city="扬州"), wallet=wallet(),
                                 today=date(2024, 5, 1))
    assert decision.allowed and decision.amount_fen == yuan(3_000)


def test_yangzhou_review_is_by_the_data_bureau_then_the_finance_bureau(yangzhou) -> None:
    assert [s.role.value for s in yangzhou.review_stages] == ["program_officer", "finance_officer"]
    assert yangzhou.review_stages[0].actor.zh == "市数据局"


# Langfang: compute service = compute + storage + adaptation support


def test_langfang_subsidises_storage_and_adaptation_but_not_data(load, org, order, wallet) -> None:
    program = load("langfang")
    buyer = org(city="廊坊")
    for kind in (ItemKind.COMPUTE, ItemKind.STORAGE, ItemKind.ADAPTATION):
        assert redemption_amount(program, order(kind=kind), buyer=buyer, wallet=wallet(), today=date(2024, 6, 1)).allowed
    data = redemption_amount(program, order(kind=ItemKind.DATA), buyer=buyer, wallet=wallet(), today=date(2024, 6, 1))
    assert data.failed.id == "order.item-kind"


def test_langfang_keeps_management_costs_outside_the_voucher_budget(load) -> None:
    program = load("langfang")
    assert program.management_costs == "outside_budget" and program.budget_fen == yuan(10_000_000)


def test_langfang_refuses_organisations_registered_elsewhere(load, org) -> None:
    decision = check_application(load("langfang"), Application(org(city="北京"), 100), date(2024, 6, 1))
    assert decision.failed.id == "org.registered-langfang"


# Qingyang: supply side by scale, provider xor user


@pytest.fixture
def qingyang(load):
    return load("qingyang")


def test_qingyang_refuses_the_provider_when_the_user_already_claimed_the_same_compute(qingyang, org, order,
                                                                                     wallet) -> None:
    prior = [PriorClaim("qingyang-2024", Side.DEMAND, exclusive=True)]
    supply = order(side=Side.SUPPLY)
    decision = redemption_amount(qingyang, supply, buyer=org("provider"), wallet=wallet(), today=date(2024, 6, 1),
                                 prior=prior)
    assert decision.failed.id == "side.provider-xor-user"


def test_qingyang_pays_either_side_alone(qingyang, org, order, wallet) -> None:
    supply = redemption_amount(qingyang, order(side=Side.SUPPLY), buyer=org("provider"), wallet=wallet(),
                               today=date(2024, 6, 1))
    assert supply.allowed and supply.amount_fen == 15_000


def test_qingyang_requires_the_minimum_scale_and_its_evidence(qingyang, org) -> None:
    evidence = frozenset({Evidence.ELECTRICITY_USE, Evidence.THIRD_PARTY_VERIFICATION})
    small = Application(org("provider", city="庆阳"), 100, side=Side.SUPPLY, scale_pflops_fp16=Decimal(2000),
                        evidence=evidence)
    assert check_application(qingyang, small, date(2024, 6, 1)).failed.id == "scale.minimum"
    unproven = Application(org("provider", city="庆阳"), 100, side=Side.SUPPLY, scale_pflops_fp16=Decimal(5000))
    assert check_application(qingyang, unproven, date(2024, 6, 1)).failed.id == "scale.evidence"
    proven = Application(org("provider", city="庆阳"), 100, side=Side.SUPPLY, scale_pflops_fp16=Decimal(5000),
                         evidence=evidence)
    assert check_application(qingyang, proven, date(2024, 6, 1)).allowed


# Guizhou 2026: data, models and corpora too; apply and enjoy at once


def test_guizhou_pays_thirty_percent_of_data_model_and_corpus_purchases(load, org, order, wallet) -> None:
    program = load("guizhou-2026")
    for kind in (ItemKind.DATA, ItemKind.MODEL_SERVICES, ItemKind.CORPORA):
        decision = redemption_amount(program, order(kind=kind, provider="guizhou-data-exchange", amount_fen=10_001),
                                     buyer=org(city="贵阳"), wallet=wallet(), today=date(2026, 3, 1))
        assert decision.amount_fen == 3_000


def test_guizhou_refuses_purchases_from_non_local_providers(load, org, order, wallet) -> None:
    decision = redemption_amount(load("guizhou-2026"), order(kind=ItemKind.DATA, provider="shanghai-data"),
                                 buyer=org(), wallet=wallet(), today=date(2026, 3, 1))
    assert decision.failed.id == "order.designated-provider"


def test_guizhou_grants_at_once_up_to_what_the_budget_leaves(load) -> None:
    program = load("guizhou-2026")
    assert program.apply_and_enjoy and not program.review_stages and program.budget_fen == yuan(140_000_000)
    decision = grant_amount(program, amount_fen=yuan(500_000), project_class=None, organisation_granted_fen=0,
                            budget_left_fen=yuan(200_000), mode=CapMode.LIMIT)
    assert decision.allowed and decision.amount_fen == yuan(200_000)
    gone = grant_amount(program, amount_fen=yuan(1), project_class=None, organisation_granted_fen=0,
                        budget_left_fen=0, mode=CapMode.LIMIT)
    assert gone.failed.id == "budget.remaining"
