"""Chengdu 2023 worked cases: who may apply, the 30% share, the project-class caps, the designated
centers, the window opening January 2, budget exhaustion, expiry and clawback."""

from __future__ import annotations

from datetime import date

import pytest

from suanli.domain.money import yuan
from suanli.domain.vouchers import (
    Application,
    CapMode,
    VoucherRuleViolation,
    check_application,
    clawback_amount,
    grant_amount,
    grant_expiry,
    redemption_amount,
)

IN_WINDOW = date(2023, 3, 1)


@pytest.fixture
def chengdu(load):
    return load("chengdu-2023")


def test_a_tech_sme_in_a_priority_sector_may_apply_and_the_priority_is_noted(chengdu, org) -> None:
    app = Application(org(sme=True, sectors={"healthcare"}), yuan(200_000))
    decision = check_application(chengdu, app, IN_WINDOW)
    assert decision.allowed
    assert {"window.open", "org.user-type", "org.tech-sme", "priority.sector"} <= set(decision.rule_ids())
    noted = next(r for r in decision.rules if r.id == "priority.sector")
    assert "healthcare" in noted.en and "优先" in noted.zh


def test_a_large_enterprise_is_refused_by_the_tech_sme_rule_in_both_languages(chengdu, org) -> None:
    decision = check_application(chengdu, Application(org(sme=False), yuan(200_000)), IN_WINDOW)
    assert not decision.allowed and decision.failed.id == "org.tech-sme"
    assert "科技型中小企业" in decision.failed.zh and "tech SME" in decision.failed.en
    with pytest.raises(VoucherRuleViolation) as caught:
        decision.raise_if_refused()
    assert caught.value.rule == "org.tech-sme" and caught.value.status == 422


def test_a_maker_without_an_incubator_is_refused_and_with_one_is_eligible(chengdu, org) -> None:
    assert check_application(chengdu, Application(org("maker"), 100), IN_WINDOW).failed.id == "org.maker-incubator"
    assert check_application(chengdu, Application(org("maker", incubator="菁蓉汇"), 100), IN_WINDOW).allowed


def test_a_provider_is_not_an_eligible_user(chengdu, org) -> None:
    assert check_application(chengdu, Application(org("provider"), 100), IN_WINDOW).failed.id == "org.user-type"


def test_applications_are_refused_before_the_window_opens_on_january_2(chengdu, org) -> None:
    app = Application(org("university"), yuan(1_000))
    assert check_application(chengdu, app, date(2023, 1, 1)).failed.id == "window.open"
    assert check_application(chengdu, app, date(2023, 1, 2)).allowed
    assert check_application(chengdu, app, IN_WINDOW, opened=False).failed.id == "window.open"


def test_a_national_project_lead_is_capped_at_three_million_yuan(chengdu) -> None:
    over = grant_amount(chengdu, amount_fen=yuan(3_000_001), project_class="national-major-ai-lead",
                        organisation_granted_fen=0, budget_left_fen=chengdu.budget_fen)
    assert over.failed.id == "cap.project-class"
    ok = grant_amount(chengdu, amount_fen=yuan(3_000_000), project_class="national-major-ai-lead",
                      organisation_granted_fen=0, budget_left_fen=chengdu.budget_fen)
    assert ok.allowed and ok.amount_fen == yuan(3_000_000)


def test_a_provincial_lead_that_reached_its_cap_gets_nothing_more(chengdu) -> None:
    decision = grant_amount(chengdu, amount_fen=100, project_class="provincial-major-ai-lead",
                            organisation_granted_fen=yuan(1_500_000), budget_left_fen=chengdu.budget_fen)
    assert decision.failed.id == "cap.project-class" and decision.amount_fen == 0


def test_an_automatic_grant_is_limited_to_what_the_cap_leaves(chengdu) -> None:
    decision = grant_amount(chengdu, amount_fen=yuan(1_000_000), project_class="provincial-major-ai-lead",
                            organisation_granted_fen=yuan(1_200_000), budget_left_fen=chengdu.budget_fen,
                            mode=CapMode.LIMIT)
    assert decision.allowed and decision.amount_fen == yuan(300_000)


def test_the_annual_budget_of_ten_million_yuan_cannot_be_overspent(chengdu) -> None:
    assert chengdu.budget_fen == yuan(10_000_000)
    decision = grant_amount(chengdu, amount_fen=yuan(500_000), project_class=None,
                            organisation_granted_fen=0, budget_left_fen=yuan(400_000))
    assert decision.failed.id == "budget.remaining"
    exhausted = grant_amount(chengdu, amount_fen=1, project_class=None, organisation_granted_fen=0, budget_left_fen=0)
    assert exhausted.failed.id == "budget.remaining"


def test_the_voucher_pays_thirty_percent_rounded_down_to_the_fen(chengdu, org, order, wallet) -> None:
    decision = redemption_amount(chengdu, order(amount_fen=33_333), buyer=org(sme=True), wallet=wallet(),
                                 today=IN_WINDOW)
    assert decision.allowed and decision.amount_fen == 9_999  # 9,999.9 fen rounds down


def test_compute_at_a_center_that_is_not_designated_is_not_subsidised(chengdu, org, order, wallet) -> None:
    decision = redemption_amount(chengdu, order(provider="dazhou-dc"), buyer=org(sme=True), wallet=wallet(),
                                 today=IN_WINDOW)
    assert decision.failed.id == "order.designated-provider" and decision.amount_fen == 0


def test_the_share_is_limited_by_the_wallet_and_an_empty_wallet_pays_nothing(chengdu, org, order, wallet) -> None:
    limited = redemption_amount(chengdu, order(amount_fen=100_000), buyer=org(), wallet=wallet(5_000), today=IN_WINDOW)
    assert limited.amount_fen == 5_000 and "wallet.balance" in limited.rule_ids()
    empty = redemption_amount(chengdu, order(), buyer=org(), wallet=wallet(5_000, redeemed_fen=5_000), today=IN_WINDOW)
    assert empty.failed.id == "wallet.balance"


def test_a_voucher_expires_at_the_end_of_the_year(chengdu, org, order, wallet) -> None:
    expires = grant_expiry(chengdu, date(2023, 3, 1))
    assert expires == date(2023, 12, 31)
    w = wallet(expires_on=expires)
    assert redemption_amount(chengdu, order(), buyer=org(), wallet=w, today=date(2023, 12, 31)).allowed
    late = redemption_amount(chengdu, order(), buyer=org(), wallet=w, today=date(2024, 1, 1))
    assert late.failed.id == "grant.expired"
    closed, remainder = w.expire()
    assert remainder == 1_000_000 and closed.available_fen == 0


def test_a_clawback_reverses_a_redemption_once(chengdu) -> None:
    first = clawback_amount(redeemed_fen=9_999, already_clawed_back=False)
    assert first.allowed and first.amount_fen == 9_999
    assert clawback_amount(redeemed_fen=9_999, already_clawed_back=True).failed.id == "clawback.once"
