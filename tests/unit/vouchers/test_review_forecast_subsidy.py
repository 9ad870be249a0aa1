"""Review with separation of duties, the wallet invariant, the budget forecast and the broker's
subsidy estimate."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from suanli.domain.errors import Forbidden, InvalidInput
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers import (
    Holding,
    ReviewAct,
    SeparationOfDuties,
    VoucherSubsidy,
    Wallet,
    burn_down,
    check_review,
    forecast_exhaustion,
    raise_review_refusal,
)

OFFICER = Principal(user_id=10, username="officer", organisation_id=1, role=Role.PROGRAM_OFFICER)
OTHER_OFFICER = Principal(user_id=11, username="officer2", organisation_id=1, role=Role.PROGRAM_OFFICER)


def test_the_first_stage_is_acted_on_by_its_role_with_a_passing_score(load) -> None:
    stage, decision = check_review(load("chengdu-2023"), done=[], actor=OFFICER, applicant_organisation_id=7,
                                   approve=True, score=75)
    assert stage.name == "expert-review" and decision.allowed


def test_a_score_below_the_minimum_cannot_approve(load) -> None:
    _, decision = check_review(load("chengdu-2023"), done=[], actor=OFFICER, applicant_organisation_id=7,
                               approve=True, score=59)
    assert decision.failed.id == "review.min-score"


def test_an_officer_may_not_review_their_own_organisations_application(load) -> None:
    _, decision = check_review(load("chengdu-2023"), done=[], actor=OFFICER, applicant_organisation_id=1,
                               approve=True, score=90)
    with pytest.raises(SeparationOfDuties) as caught:
        raise_review_refusal(decision)
    assert caught.value.rule == "review.own-organisation" and caught.value.status == 403


def test_one_person_may_not_act_at_two_stages(load) -> None:
    done = [ReviewAct("expert-review", OFFICER.user_id)]
    stage, decision = check_review(load("chengdu-2023"), done=done, actor=OFFICER, applicant_organisation_id=7,
                                   approve=True)
    assert stage.name == "officer-approval" and decision.failed.id == "review.same-person"
    _, ok = check_review(load("chengdu-2023"), done=done, actor=OTHER_OFFICER, applicant_organisation_id=7,
                         approve=True)
    assert ok.allowed


def test_the_finance_stage_refuses_a_program_officer(load) -> None:
    done = [ReviewAct("data-bureau-review", 1)]
    _, decision = check_review(load("yangzhou"), done=done, actor=OTHER_OFFICER, applicant_organisation_id=7,
                               approve=True)
    with pytest.raises(Forbidden) as caught:
        raise_review_refusal(decision)
    assert caught.value.extra["rule"] == "review.role"


def test_a_fully_reviewed_application_has_no_stage_left(load) -> None:
    done = [ReviewAct("expert-review", 1), ReviewAct("officer-approval", 2)]
    stage, decision = check_review(load("chengdu-2023"), done=done, actor=OFFICER, applicant_organisation_id=7,
                                   approve=True)
    assert stage is None and decision.failed.id == "review.stage"


def test_a_wallet_never_spends_more_than_was_granted() -> None:
    w = Wallet(1_000, date(2030, 1, 1)).reserve(600)
    assert w.available_fen == 400
    w = w.post(500, from_reserved_fen=600)
    assert (w.reserved_fen, w.redeemed_fen, w.available_fen) == (0, 500, 500)
    with pytest.raises(InvalidInput):
        w.reserve(501)
    closed, remainder = w.expire()
    assert remainder == 500 and closed.available_fen == 0


def test_the_forecast_dates_the_day_the_budget_runs_out_at_the_recent_rate() -> None:
    today = date(2024, 3, 31)
    burn = [(today - timedelta(days=i), 10_000) for i in range(30)]
    forecast = forecast_exhaustion(95_000, burn, today)
    assert forecast.daily_burn_fen == 10_000
    assert forecast.runs_out_on == today + timedelta(days=10)


def test_a_young_program_is_forecast_from_its_first_burn_not_a_month_of_zeros() -> None:
    today = date(2024, 1, 10)
    forecast = forecast_exhaustion(100_000, [(date(2024, 1, 1), 50_000)], today)
    assert forecast.daily_burn_fen == 5_000 and forecast.runs_out_on == today + timedelta(days=20)


def test_a_budget_nobody_spends_never_runs_out_and_an_empty_one_is_out_today() -> None:
    assert forecast_exhaustion(100, [], date(2024, 1, 1)).runs_out_on is None
    assert forecast_exhaustion(0, [], date(2024, 1, 1)).runs_out_on == date(2024, 1, 1)


def test_burn_down_shows_the_remaining_budget_per_day() -> None:
    d = date(2024, 1, 2)
    assert burn_down(1_000, [(d, 100), (d, 50), (d + timedelta(days=1), 300)]) == [(d, 850), (d + timedelta(1), 550)]


def test_the_broker_sees_the_price_after_voucher_for_this_payer(load, org, wallet) -> None:
    program = load("chengdu-2023")
    holding = Holding(program, org(sme=True), wallet(2_000, expires_on=date(2023, 12, 31)))
    policy = VoucherSubsidy({7: [holding]}, today=date(2023, 6, 1))
    assert policy.estimate(organisation_id=7, center="nscc-chengdu", pool="gpu", list_price_fen=1_000).subsidy_fen == 300
    capped = policy.estimate(organisation_id=7, center="nscc-chengdu", pool="gpu", list_price_fen=100_000)
    assert capped.subsidy_fen == 2_000 and capped.program == "chengdu-2023" and capped.reasons
    assert policy.estimate(organisation_id=7, center="dazhou-dc", pool="t4", list_price_fen=1_000).subsidy_fen == 0
    assert policy.estimate(organisation_id=8, center="nscc-chengdu", pool="gpu", list_price_fen=1_000).subsidy_fen == 0


def test_the_broker_estimate_respects_the_remaining_budget(load, org, wallet) -> None:
    holding = Holding(load("guizhou-2026"), org(), wallet(), budget_left_fen=100)
    estimate = VoucherSubsidy({1: [holding]}, today=date(2026, 2, 1)).estimate(
        organisation_id=1, center="gui-an-aicc", pool="x", list_price_fen=10_000)
    assert estimate.subsidy_fen == 100
